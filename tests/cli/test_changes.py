"""`gateway capacity`, `gateway update` and `gateway jobs update` against `gateway dev`: each
works, and a refused change exits 7 naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from gateway.cli.errors import Exit
from tests.support.paths import EXAMPLES

pytestmark = pytest.mark.slow

FAST = ("--interval", "0.2", "--timeout", "60")
JOB = {"image": "deephdc/deep-oc-generic-dev:cpu", "command": "true", "disabled": True,
       "hardware": {"cpus": 0.5, "memory": 512}}


def _file(tmp_path: Path, name: str, body: object) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(body))
    return str(path)


def test_capacity_shows_totals_agent_sizes_and_what_waits(cli):
    code, out, err = cli("capacity")
    assert code == Exit.OK, err
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert rows["RESOURCE"] == ["TOTAL", "FREE"] and rows["GPUs"] == ["0", "0"]
    assert rows["CPUs"][0] == "8" and "AGENT SIZE" in out and "waiting deployments:" in out
    capacity = json.loads(cli("capacity", "-o", "json")[1])
    assert capacity["cpus"]["total"] == 8 and capacity["agents"][0]["count"] == 1


def test_update_changes_only_the_amounts_given_and_waits_for_the_new_task(cli):
    code, out, err = cli("deploy", str(EXAMPLES / "service.yaml"), "--wait", *FAST, "-o", "json")
    assert code == Exit.OK, err
    before = json.loads(out)
    code, out, err = cli("update", before["id"], "--memory", "4096", "--env", "EPOCHS=20",
                         "--description", "more memory", "--wait", *FAST, "-o", "json")
    assert code == Exit.OK, err
    after = json.loads(out)
    assert after["status"] == "running" and after["hardware"]["memory"] == 4096
    assert after["hardware"]["cpus"] == before["hardware"]["cpus"]
    assert {t["id"] for t in after["tasks"]}.isdisjoint(t["id"] for t in before["tasks"])
    assert f"waiting for deployment {before['id']} to run again" in err

    code, _, err = cli("update", before["id"], "--memory", "64")
    assert code == Exit.INVALID and "hardware.memory: must be at least 128" in err, err
    code, _, err = cli("update", before["id"])
    assert code == Exit.USAGE and "Nothing to change" in err
    with pytest.raises(SystemExit) as refused:
        cli("update", before["id"], "--env", "NOEQUALS")
    assert refused.value.code == Exit.USAGE
    assert cli("delete", before["id"])[0] == Exit.OK


def test_jobs_update_takes_options_or_a_partial_request_file(cli, tmp_path):
    assert cli("jobs", "submit", _file(tmp_path, "job.yaml", {**JOB, "name": "nightly"}))[0] == 0
    code, out, err = cli("jobs", "update", "nightly", "--schedule", "R/2030-01-01T03:00:00Z/P1D",
                         "--timezone", "Europe/Madrid", "--cpus", "1", "--retries", "2",
                         "--env", "EPOCHS=20", "-o", "json")
    assert code == Exit.OK, err
    job = json.loads(out)
    # Chronos hands the schedule back in its own notation.
    assert job["schedule"].startswith("R/2030-01-01T") and job["schedule"].endswith("/P1D")
    assert job["timezone"] == "Europe/Madrid"
    assert job["hardware"]["cpus"] == 1 and job["hardware"]["memory"] == 512
    assert job["retries"] == 2 and job["env"] == {"EPOCHS": "20"}

    change = _file(tmp_path, "change.yaml", {"command": "python train.py", "hardware": {"cpus": 2}})
    code, out, err = cli("jobs", "update", "nightly", change, "--memory", "1024")
    assert code == Exit.OK and out.startswith("updated nightly:"), err
    job = json.loads(cli("jobs", "show", "nightly", "-o", "json")[1])
    assert job["command"] == "python train.py"
    assert job["hardware"]["cpus"] == 2 and job["hardware"]["memory"] == 1024

    code, _, err = cli("jobs", "update", "nightly", "--timezone", "Mars/Olympus_Mons")
    assert code == Exit.INVALID and "timezone: 'Mars/Olympus_Mons' is not an IANA" in err, err
    assert "Value error" not in err
    assert cli("jobs", "update", "nightly")[0] == Exit.USAGE
    assert cli("jobs", "delete", "nightly")[0] == Exit.OK
