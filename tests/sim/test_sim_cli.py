"""``gateway sim`` turns its flags into a SimConfig and refuses impossible ones."""

from __future__ import annotations

import argparse

from simcluster.cli import add_sim_arguments, config_from_args, main


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_sim_arguments(parser)
    return parser.parse_args(list(argv))


def test_flags_become_the_cluster_configuration() -> None:
    config = config_from_args(_parse("--zk", "127.0.0.1:2181", "--agents", "3",
                                     "--agent-gpus", "2", "--marathon-instances", "2",
                                     "--credentials", "ops:pw", "--faults", "--no-chronos-gpus"))
    assert config.zk_hosts == "127.0.0.1:2181"
    assert (config.agents, config.agent_gpus, config.marathon_instances) == (3, 2, 2)
    assert config.credentials == ("ops", "pw")
    assert config.faults is True and config.chronos_gpus is False


def test_several_marathons_without_zookeeper_exit_with_a_usage_error(capsys) -> None:
    assert main(["--marathon-instances", "2"]) == 2
    assert "need zk_hosts" in capsys.readouterr().out


def test_several_chronos_instances_without_zookeeper_exit_with_a_usage_error(capsys) -> None:
    # Without an election each would lead alone, with jobs only in its own memory.
    assert main(["--chronos-instances", "2"]) == 2
    assert "several Chronos instances need zk_hosts" in capsys.readouterr().out
