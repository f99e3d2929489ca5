"""The deployment verbs of the CLI (deploy, list, show, logs, delete) against the simulated
cluster, as a script runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from gateway.cli import main
from gateway.cli.errors import Exit
from gateway.devstack import DevStack
from simcluster import SimConfig
from tests.support.background import running
from tests.support.gateway_stack import fast_health_checks

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    specs = fast_health_checks(tmp_path_factory.mktemp("specs"))
    with running(DevStack(sim_config=SimConfig(agents=1, agent_gpus=0), job_specs_dir=specs)) as info:
        yield info


@pytest.fixture
def cli(dev, monkeypatch, capsys):
    monkeypatch.setenv("GATEWAY_URL", dev.gateway_url)
    monkeypatch.setenv("OIDC_ACCESS_TOKEN", dev.tokens["alice"])

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_a_service_is_deployed_followed_until_it_runs_shown_logged_and_deleted(cli, tmp_path: Path):
    spec = tmp_path / "service.yaml"
    spec.write_text(yaml.safe_dump({"module": "image-classification-tf", "service": "deepaas",
                                    "hardware": {"cpus": 1, "memory": 2048, "gpus": 0}}))
    code, out, err = cli("deploy", str(spec), "--wait", "--interval", "0.2", "--timeout", "60",
                         "-o", "json")
    assert code == Exit.OK, err
    deployment_id = json.loads(out)["id"]
    assert "running" in err and "api: http://" in err

    code, out, _ = cli("list")
    assert code == 0 and out.splitlines()[0].split()[:2] == ["ID", "STATUS"]
    assert any(line.startswith(deployment_id) and " running " in line for line in out.splitlines())
    code, out, _ = cli("show", deployment_id)
    assert code == 0 and "endpoint api:" in out and "TASK_RUNNING" in out
    code, out, _ = cli("logs", deployment_id, "--tail", "50")
    assert code == 0 and "Starting task" in out

    assert cli("delete", deployment_id)[0] == Exit.OK
    code, _, err = cli("show", deployment_id)
    assert code == Exit.NOT_FOUND and "not found" in err.lower()


def test_an_invalid_spec_exits_7_and_lists_the_fields(cli, tmp_path: Path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(yaml.safe_dump({"module": "image-classification-tf",
                                    "hardware": {"gpus": 0.5}, "colour": "blue"}))
    code, out, err = cli("deploy", str(spec))
    assert code == Exit.INVALID and out == ""
    assert "hardware.gpus" in err and "colour" in err
