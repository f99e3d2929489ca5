"""A `gateway dev` stack (simulated cluster, development issuer, gateway) for the CLI's tests,
and a runner that calls the CLI as a script does: (exit code, stdout, stderr)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from gateway.cli import main
from gateway.devstack import DevInfo, DevStack
from simcluster import SimConfig
from tests.support.background import running
from tests.support.gateway_stack import fast_health_checks

CliRunner = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    # No GPU anywhere, so a deployment asking for one waits for ever.
    specs = fast_health_checks(tmp_path_factory.mktemp("specs"))
    stack = DevStack(sim_config=SimConfig(agents=1, agent_gpus=0), job_specs_dir=specs)
    with running(stack):
        yield stack


@pytest.fixture(scope="module")
def dev(dev_stack: DevStack) -> DevInfo:
    assert dev_stack.info is not None
    return dev_stack.info


@pytest.fixture
def cli(dev: DevInfo, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> CliRunner:
    monkeypatch.setenv("GATEWAY_URL", dev.gateway_url)
    monkeypatch.setenv("OIDC_ACCESS_TOKEN", dev.tokens["alice"])
    monkeypatch.delenv("OIDC_AGENT_ACCOUNT", raising=False)

    def run(*argv: str, user: str = "alice", token: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setenv("OIDC_ACCESS_TOKEN", token or dev.tokens[user])
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run
