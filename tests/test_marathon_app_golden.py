"""The Marathon app we send for a deployment is pinned by golden files (tests/golden/*.json).

Set UPDATE_GOLDEN=1 to rewrite them after an intended change, then review the diff.
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.catalog import load_service_templates
from gateway.errors import InvalidInput
from gateway.identity import Identity
from gateway.models import DeploymentRequest
from gateway.specs import deployments as specs

GOLDEN = Path(__file__).parent / "golden"
TEMPLATES = load_service_templates(Path(__file__).parents[1] / "job_specs")
ALICE = Identity(subject="alice-sub", issuer="https://iam.example.org/", groups=frozenset({"deep"}))
CREATED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

CASES = {
    "deepaas-cpu": {"image": "deephdc/deep-oc-image-classification-tf:cpu", "service": "deepaas",
                    "hardware": {"cpus": 2, "memory": 8192, "disk": 10240, "gpus": 0},
                    "env": {"EPOCHS": "10"}, "description": "plant classifier retraining"},
    "jupyter-gpu-storage": {
        "image": "deephdc/deep-oc-image-classification-tf:gpu", "service": "jupyter",
        "hardware": {"cpus": 4, "memory": 16384, "disk": 20480, "gpus": 1},
        "storage": {"rclone_url": "https://nc.example.org/remote.php/webdav/",
                    "rclone_vendor": "nextcloud", "rclone_user": "DEEP-IAM-alice",
                    "rclone_password": "nextcloud-app-password"},
        "jupyter_password": "a-long-jupyter-password"},
}


def _app(case: str) -> dict:
    request = DeploymentRequest.model_validate(CASES[case])
    obscured = "OBSCURED-BY-RCLONE" if request.storage else None
    return specs.marathon_app_for(
        request, identity=ALICE, deployment_id="0123456789abcdef01234567",
        templates=TEMPLATES, group="/gateway", created_at=CREATED,
        rclone_password_obscured=obscured)


@pytest.mark.parametrize("case", sorted(CASES))
def test_marathon_app_matches_golden_file(case):
    app = _app(case)
    path = GOLDEN / f"marathon-app-{case}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(app, indent=2, sort_keys=True) + "\n")
    assert app == json.loads(path.read_text())


def test_app_uses_the_mesos_containerizer_with_integer_gpus_and_host_networking():
    app = _app("jupyter-gpu-storage")
    assert app["container"]["type"] == "MESOS"
    assert set(app["container"]["docker"]) <= {"image", "forcePullImage"}
    assert app["gpus"] == 1 and isinstance(app["gpus"], int)
    assert app["networks"] == [{"mode": "host"}]
    assert [p["name"] for p in app["portDefinitions"]] == ["api", "monitor", "ide"]
    assert all(p["port"] == 0 for p in app["portDefinitions"])


def test_app_is_published_by_marathon_lb_and_labelled_with_its_owner():
    labels = _app("deepaas-cpu")["labels"]
    assert labels["HAPROXY_GROUP"] == "external"
    assert labels[specs.OWNER_LABEL] == ALICE.owner


def test_one_gpu_app_restarts_without_a_second_gpu():
    assert _app("jupyter-gpu-storage")["upgradeStrategy"] == {
        "minimumHealthCapacity": 0, "maximumOverCapacity": 0}


def test_storage_password_is_only_sent_obscured():
    app = _app("jupyter-gpu-storage")
    assert "nextcloud-app-password" not in json.dumps(app)
    assert app["env"]["RCLONE_CONFIG_RSHARE_PASS"] == "OBSCURED-BY-RCLONE"


def test_reserved_environment_names_are_refused():
    request = DeploymentRequest.model_validate(
        {"image": "deephdc/x", "env": {"RCLONE_CONFIG_RSHARE_PASS": "x", "PORT0": "1", "OK": "y"}})
    with pytest.raises(InvalidInput) as caught:
        specs.marathon_app_for(request, identity=ALICE, deployment_id="0" * 24,
                               templates=TEMPLATES, group="/gateway", created_at=CREATED)
    assert {e["field"] for e in caught.value.extra["errors"]} == {
        "env.PORT0", "env.RCLONE_CONFIG_RSHARE_PASS"}


def test_deployment_status_shows_why_it_waits_for_a_gpu():
    app = {"id": "/gateway/x", "tasksRunning": 0, "deployments": [{"id": "d"}], "labels": {},
           "portDefinitions": [{"port": 10001, "name": "api"}], "healthChecks": [{}]}
    queue = {"processedOffersSummary": {"rejectSummaryLastOffers": [
        {"reason": "InsufficientGpus", "declined": 3, "processed": 3}]}}
    deployment = specs.deployment_from_app(app, lb_host="lb.example.org", queue_entry=queue)
    assert deployment.status == "waiting"
    assert "GPU" in deployment.status_reason
    assert deployment.endpoints == {"api": "http://lb.example.org:10001"}
