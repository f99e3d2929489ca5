"""Reading a Chronos job, its live state and the Mesos tasks back into the job view."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.translation.job_status import job_view, runs_from_mesos_state

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
NAME = "gw-0123456789abcdef0123456789abcdef-train"


def _job(run: str = "schedule", **fields: Any) -> dict[str, Any]:
    meta = {"name": "train", "owner": "0123456789abcdef0123456789abcdef", "module": None,
            "command": "python train.py", "args": ["--epochs", "3"], "run": run,
            "created_at": "2026-11-29T11:00:00.000Z"}
    job = {"name": NAME, "command": "python train.py --epochs 3", "cpus": 1.0, "mem": 2048.0,
           "disk": 1024.0, "retries": 2, "disabled": False, "successCount": 0, "errorCount": 0,
           "lastSuccess": "", "lastError": "", "container": {"type": "MESOS", "image": "img:cpu"},
           "environmentVariables": [{"name": "EPOCHS", "value": "3"},
                                    {"name": "RCLONE_CONFIG_RSHARE_URL", "value": "https://nc/"},
                                    {"name": "RCLONE_CONFIG_RSHARE_PASS", "value": "obscured"},
                                    {"name": "GATEWAY_JOB", "value": json.dumps(meta)}],
           "schedule": "R/2026-11-30T02:00:00.000+01:00/P1D", "scheduleTimeZone": "Europe/Madrid"}
    job.update(fields)
    return job


def _status(job: dict[str, Any], live: str = "idle") -> tuple[str, str]:
    view = job_view(job, live_state=live, runs=[], now=NOW, gpus_supported=False)
    return view.status, view.status_reason


@pytest.mark.parametrize(("job", "live", "status"), [
    (_job(), "idle", "scheduled"),
    (_job(), "1 running", "running"),
    (_job(), "queued", "queued"),
    (_job(schedule="R/2026-11-29T08:00:00.000Z/P1D", scheduleTimeZone="UTC"), "idle", "queued"),
    (_job(disabled=True), "idle", "disabled"),
    (_job("now", schedule="R0/2026-11-29T11:00:00.000Z/PT24H", disabled=True, successCount=1,
          lastSuccess="2026-11-29T11:01:00.000Z"), "idle", "succeeded"),
    (_job("now", schedule="R0/2026-11-29T11:00:00.000Z/PT24H", errorCount=1,
          lastError="2026-11-29T11:01:00.000Z"), "idle", "failed"),
    (_job("parents", schedule=None, scheduleTimeZone=None, parents=[NAME + "-prep"]), "idle",
     "scheduled"),
])
def test_the_status_follows_live_state_then_durable_counts_then_the_schedule(job, live, status):
    assert _status(job, live)[0] == status


def test_the_view_shows_the_users_command_and_env_but_never_the_storage_password():
    view = job_view(_job(), live_state="idle", runs=[], now=NOW, gpus_supported=False)
    assert view.name == "train" and view.id == NAME and view.owner.startswith("0123")
    assert view.command == "python train.py" and view.args == ["--epochs", "3"]
    assert view.env == {"EPOCHS": "3"}
    assert view.storage is not None and view.storage.rclone_url == "https://nc/"
    assert "obscured" not in view.model_dump_json()
    assert view.next_run == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert view.timezone == "Europe/Madrid"


def test_runs_are_the_jobs_mesos_tasks_newest_first_with_host_and_times():
    def task(task_id: str, state: str, *statuses: tuple[str, float]) -> dict[str, Any]:
        return {"id": task_id, "state": state, "slave_id": "a1",
                "statuses": [{"state": s, "timestamp": t} for s, t in statuses]}

    state = {"slaves": [{"id": "a1", "hostname": "gpu-node-1"}], "frameworks": [{
        "name": "chronos",
        "tasks": [task(f"ct:1764417660000:0:{NAME}:", "TASK_RUNNING", ("TASK_RUNNING", 1764417661))],
        "completed_tasks": [
            task(f"ct:1764417600000:1:{NAME}:", "TASK_FINISHED", ("TASK_RUNNING", 1764417602),
                 ("TASK_FINISHED", 1764417640)),
            task(f"ct:1764417600000:0:{NAME}:", "TASK_FAILED", ("TASK_RUNNING", 1764417601),
                 ("TASK_FAILED", 1764417620)),
            task(f"ct:1764417600000:0:{NAME}-other:", "TASK_FINISHED"),
            task("marathon-app.1234", "TASK_FINISHED")]}]}
    runs = runs_from_mesos_state(state, NAME)
    assert [(r.attempt, r.state) for r in runs] == [(0, "running"), (1, "succeeded"), (0, "failed")]
    assert runs[1].host == "gpu-node-1"
    assert runs[1].started_at == datetime.fromtimestamp(1764417602, tz=UTC)
    assert runs[1].finished_at == datetime.fromtimestamp(1764417640, tz=UTC)
    assert runs[0].finished_at is None
