"""The client verbs as a script uses them: real HTTP to a gateway in front of a scripted Chronos,
exit codes per error class, JSON on stdout, progress and errors on stderr, tokens from the
environment or oidc-agent."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from gateway.cli import main
from gateway.cli.errors import Exit
from tests.support.background import running
from tests.support.fake_api import serve_fake_api
from tests.support.fake_chronos import CHRONOS, MARATHON, MESOS, FakeChronos
from tests.support.paths import EXAMPLES


@dataclass
class Gateway:
    url: str
    chronos: FakeChronos
    tokens: dict[str, str]


@asynccontextmanager
async def _gateway(**settings: object) -> AsyncIterator[Gateway]:
    chronos = FakeChronos()
    async with serve_fake_api(chronos, marathon_url=MARATHON, mesos_url=MESOS,
                              chronos_url=CHRONOS, **settings) as (url, tokens):
        yield Gateway(url, chronos, tokens)


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with running(_gateway(chronos_gpus=True)) as gw:
        yield gw


@pytest.fixture
def cli(gateway, monkeypatch, capsys):
    monkeypatch.setenv("GATEWAY_URL", gateway.url)
    monkeypatch.setenv("OIDC_ACCESS_TOKEN", gateway.tokens["alice"])
    monkeypatch.delenv("OIDC_AGENT_ACCOUNT", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _spec(tmp_path: Path, **body: object) -> str:
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump({"image": "deephdc/deep-oc-generic-dev:cpu",
                                    "command": "python prepare.py", **body}))
    return str(path)


def test_the_documented_examples_submit_as_a_chain_and_list_as_a_table(cli, gateway):
    for example in ("prepare-data", "train-nightly", "evaluate"):
        code, out, err = cli("jobs", "submit", str(EXAMPLES / f"{example}.yaml"))
        assert code == Exit.OK, err
        assert "submitted" in out
    code, out, _ = cli("jobs", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["NAME", "STATUS", "RUNS"]
    assert any(line.startswith("evaluate-nightly") and "after train-nightly" in line
               for line in lines)
    assert any("Europe/Madrid" in line for line in lines)
    code, out, _ = cli("jobs", "list", "-o", "json")
    names = {job["name"] for job in json.loads(out)["items"]}
    assert {"prepare-data", "train-nightly", "evaluate-nightly"} <= names
    assert "replace-with-your-app-password" not in out
    code, _, err = cli("jobs", "delete", "train-nightly")
    assert code == Exit.CONFLICT and "evaluate-nightly" in err
    code, out, _ = cli("jobs", "delete", "train-nightly", "--children", "delete")
    assert code == 0 and "1 dependent job" in out


def test_a_dry_run_prints_the_chronos_job_and_sends_nothing(cli, gateway, tmp_path):
    before = list(gateway.chronos.posted)
    code, out, _ = cli("jobs", "submit", _spec(tmp_path, name="dry"), "--dry-run")
    assert code == 0 and json.loads(out)["container"]["type"] == "MESOS"
    assert gateway.chronos.posted == before


def test_a_submit_retried_with_its_idempotency_key_gets_the_same_job_and_posts_once(
        cli, gateway, tmp_path):
    spec = _spec(tmp_path, name="keyed", schedule="R1/2030-01-01T00:00:00Z/P1D")
    posted = len(gateway.chronos.posted)
    for _ in range(2):
        code, out, err = cli("jobs", "submit", spec, "--idempotency-key", "cli-1", "-o", "json")
        assert code == Exit.OK, err
        assert json.loads(out)["name"] == "keyed"
    assert len(gateway.chronos.posted) == posted + 1
    code, _, err = cli("jobs", "submit", spec)
    assert code == Exit.INVALID and "GET /v1/jobs/keyed" in err


def test_invalid_input_exits_7_naming_the_fields_on_stderr(cli, gateway, tmp_path):
    code, out, err = cli("jobs", "submit", _spec(tmp_path, name="bad", timezone="Mars/Base",
                                                 schedule="R/2026-12-01T02:00:00Z/P1D"))
    assert code == Exit.INVALID and out == ""
    assert "timezone:" in err


@pytest.mark.parametrize(("argv", "code"), [
    (("jobs", "show", "no-such-job"), Exit.NOT_FOUND),
    (("jobs", "list", "--all"), Exit.FORBIDDEN),
    (("jobs", "submit", "/nonexistent/job.yaml"), Exit.USAGE),
])
def test_each_error_class_has_its_exit_code(cli, argv, code):
    assert cli(*argv)[0] == code


def test_a_bad_token_exits_4_and_the_token_is_never_printed(cli, monkeypatch):
    monkeypatch.setenv("OIDC_ACCESS_TOKEN", "not-a-real-token-abcdef")
    code, out, err = cli("jobs", "list")
    assert code == Exit.UNAUTHORIZED and "not-a-real-token-abcdef" not in out + err


def test_missing_url_or_token_exits_3_with_what_to_set(cli, monkeypatch):
    monkeypatch.delenv("OIDC_ACCESS_TOKEN")
    code, _, err = cli("jobs", "list")
    assert code == Exit.CONFIG and "OIDC_AGENT_ACCOUNT" in err
    monkeypatch.delenv("GATEWAY_URL")
    code, _, err = cli("jobs", "list", "--token", "x")
    assert code == Exit.CONFIG and "GATEWAY_URL" in err


def test_an_unreachable_gateway_exits_10(cli):
    assert cli("jobs", "list", "--url", "http://127.0.0.1:9", "--token", "x")[0] == Exit.UNREACHABLE


def test_the_token_comes_from_oidc_agent_when_an_account_is_set(cli, gateway, monkeypatch,
                                                                tmp_path):
    fake = tmp_path / "oidc-token"
    fake.write_text(f"#!/bin/sh\n[ \"$1\" = deep-iam ] && echo {gateway.tokens['bob']} && exit 0\n"
                    "echo 'Error: account not loaded' >&2; exit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert cli("jobs", "submit", _spec(tmp_path, name="alices-own"))[0] == 0
    monkeypatch.delenv("OIDC_ACCESS_TOKEN")
    monkeypatch.setenv("OIDC_AGENT_ACCOUNT", "deep-iam")
    code, out, err = cli("jobs", "list", "-o", "json")
    assert code == 0, err
    assert json.loads(out)["items"] == []  # bob's token, from oidc-token: none of alice's jobs
    monkeypatch.setenv("OIDC_AGENT_ACCOUNT", "other")
    code, _, err = cli("jobs", "list")
    assert code == Exit.CONFIG and "account not loaded" in err


def test_wait_follows_a_run_to_its_end_with_progress_and_an_exit_code(cli, gateway, tmp_path):
    code, out, _ = cli("jobs", "submit", _spec(tmp_path, name="waited"), "-o", "json")
    assert code == 0

    def succeed(name: str) -> None:
        gateway.chronos.add_run(name, "TASK_FINISHED", due_ms=1_800_000_000_000,
                                stdout=b"all good\n")
        gateway.chronos.jobs[name]["successCount"] += 1

    def refused_by_mesos(name: str) -> None:
        gateway.chronos.add_run(name, "TASK_ERROR", due_ms=1_800_000_100_000,
                                message="Failed to pull image")

    def killed(name: str) -> None:
        gateway.chronos.add_run(name, "TASK_KILLED", due_ms=1_800_000_200_000)

    try:
        gateway.chronos.on_run = succeed
        code, _, err = cli("jobs", "run", "waited", "--wait", "--interval", "0.05")
        assert code == Exit.OK and "succeeded" in err and "attempt 0) succeeded" in err
        gateway.chronos.on_run = refused_by_mesos
        code, _, err = cli("jobs", "run", "waited", "--wait", "--interval", "0.05")
        assert code == Exit.RUN_FAILED and "Failed to pull image" in err
        gateway.chronos.on_run = killed
        code, _, err = cli("jobs", "run", "waited", "--wait", "--interval", "0.05")
        assert code == Exit.RUN_FAILED and "killed" in err
        gateway.chronos.on_run = None
        code, _, err = cli("jobs", "run", "waited", "--wait", "--interval", "0.05",
                           "--timeout", "0.2")
        assert code == Exit.WAIT_TIMEOUT
    finally:
        gateway.chronos.on_run = None
    code, out, _ = cli("jobs", "logs", "waited", "--tail", "5")
    assert code == 0 and out == ""  # the newest run (killed) wrote nothing
    code, out, _ = cli("jobs", "show", "waited")
    assert code == 0 and "RUN" in out and "succeeded" in out
