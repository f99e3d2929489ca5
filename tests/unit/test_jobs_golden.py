"""The Chronos job we send is pinned by golden files (tests/unit/golden/chronos-job-*.json): a CPU
job run now, a nightly GPU job in Europe/Madrid with storage and fetched data, a dependent job.

Set UPDATE_GOLDEN=1 to rewrite them after an intended change, then review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.catalog_files import (
    CatalogError,
    load_job_templates,
    load_module_catalog,
    load_service_templates,
)
from gateway.identity import owner_key
from gateway.models.jobs import JobRequest
from gateway.translation import jobs as specs
from gateway.translation.job_templates import JobTemplates
from tests.support.paths import JOB_SPECS

GOLDEN = Path(__file__).parent / "golden"
TEMPLATES = load_service_templates(JOB_SPECS)
CATALOG = load_module_catalog(JOB_SPECS)
JOB_TEMPLATES = load_job_templates(JOB_SPECS)
OWNER = owner_key("https://iam.example.org/", "alice-sub")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

CASES: dict[str, dict[str, Any]] = {
    "cpu-now": {
        "name": "prepare-data", "image": "deephdc/deep-oc-generic-dev:cpu",
        "command": "python prepare.py", "args": ["--input", "/srv/data/raw images"],
        "hardware": {"cpus": 2, "memory": 4096, "disk": 10240, "gpus": 0},
        "env": {"LOG_LEVEL": "info"}, "description": "resize the raw images"},
    "gpu-nightly-madrid": {
        "name": "train-nightly", "module": "image-classification-tf",
        "command": "python train.py", "args": ["--epochs", "10"],
        "hardware": {"cpus": 4, "memory": 16384, "disk": 20480, "gpus": 1},
        "schedule": "R/2026-12-01T02:00:00Z/P1D", "timezone": "Europe/Madrid", "retries": 1,
        "storage": {"rclone_url": "https://nc.example.org/remote.php/webdav/",
                    "rclone_vendor": "nextcloud", "rclone_user": "DEEP-IAM-alice",
                    "rclone_password": "nextcloud-app-password"},
        "fetch": ["https://example.org/datasets/plants.tgz"],
        "description": "plant classifier, retrained every night"},
    "cpu-after-parent": {
        "name": "evaluate", "module": "image-classification-tf", "command": "python evaluate.py",
        "hardware": {"cpus": 1, "memory": 4096, "gpus": 0}, "parents": ["train-nightly"],
        "retries": 0},
}


def _job(case: str) -> dict[str, Any]:
    request = JobRequest.model_validate(CASES[case])
    resolved = specs.resolve_job(request, CATALOG, TEMPLATES, JOB_TEMPLATES, gpus_supported=True)
    return specs.chronos_job_for(
        resolved, owner=OWNER, templates=JOB_TEMPLATES, now=NOW, gpus_supported=True,
        rclone_password_obscured="OBSCURED-BY-RCLONE" if request.storage else None,
        write="golden-write")


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_chronos_job_matches_its_golden_file(case):
    job = _job(case)
    path = GOLDEN / f"chronos-job-{case}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(job, indent=2) + "\n")
    assert job == json.loads(path.read_text())


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_job_sent_passes_the_checks_chronos_skips(case):
    # The fact sheet's checklist: what Chronos turns into an HTML 500 or silently drops.
    job = _job(case)
    assert specs.split_chronos_name(job["name"]) == (OWNER, CASES[case]["name"])
    assert all(ch.isalnum() or ch in "_.-" for ch in job["name"])
    assert job["container"]["type"] == "MESOS" and job["container"]["image"]
    assert all(set(e) == {"name", "value"} and isinstance(e["value"], str)
               for e in job["environmentVariables"])
    assert "uris" not in job and "arguments" not in job
    assert all(f["uri"].startswith("https://") for f in job["fetch"])
    assert all(op in ("EQUALS", "LIKE", "UNLIKE") for _, op, _ in job["constraints"])
    assert ("parents" in job) != ("schedule" in job)
    assert not isinstance(job.get("gpus", 0), bool) and job.get("gpus", 1) > 0


def test_the_storage_password_only_travels_obscured_and_a_dry_run_masks_even_that():
    job = _job("gpu-nightly-madrid")
    text = json.dumps(job)
    assert "nextcloud-app-password" not in text
    shown = json.dumps(specs.without_secrets(job))
    assert "OBSCURED-BY-RCLONE" not in shown and "RCLONE_CONFIG_RSHARE_URL" in shown


def test_without_gpu_support_no_gpus_field_is_sent():
    request = JobRequest.model_validate(CASES["cpu-now"])
    resolved = specs.resolve_job(request, CATALOG, TEMPLATES, JOB_TEMPLATES, gpus_supported=False)
    job = specs.chronos_job_for(resolved, owner=OWNER, templates=JOB_TEMPLATES, now=NOW,
                                gpus_supported=False, write="golden-write")
    assert "gpus" not in job


def test_a_missing_or_empty_job_template_file_means_the_defaults(tmp_path):
    assert load_job_templates(tmp_path) == JobTemplates()
    (tmp_path / "jobs.yaml").write_text("")
    assert load_job_templates(tmp_path) == JobTemplates()


def test_a_job_template_chronos_would_misread_stops_the_start_naming_file_and_field(tmp_path):
    (tmp_path / "jobs.yaml").write_text("constraints: {gpu: [[gpu, GROUP_BY, 'true']]}\n")
    with pytest.raises(CatalogError, match=r"jobs\.yaml: constraints\.gpu\.0\.1"):
        load_job_templates(tmp_path)
