"""The Marathon app we send for a deployment is pinned by golden files (tests/unit/golden/*.json),
one per service x CPU/GPU x with/without storage.

Set UPDATE_GOLDEN=1 to rewrite them after an intended change, then review the diff.
"""

import itertools
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.catalog_files import load_service_templates
from gateway.errors import InvalidInput
from gateway.identity import Identity
from gateway.models import DeploymentRequest
from gateway.translation import deployments as specs
from tests.support.paths import JOB_SPECS

GOLDEN = Path(__file__).parent / "golden"
TEMPLATES = load_service_templates(JOB_SPECS)
ALICE = Identity(subject="alice-sub", issuer="https://iam.example.org/", groups=frozenset({"deep"}))
CREATED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
STORAGE = {"rclone_url": "https://nc.example.org/remote.php/webdav/", "rclone_vendor": "nextcloud",
           "rclone_user": "DEEP-IAM-alice", "rclone_password": "nextcloud-app-password"}
CASES = [f"{service}-{kind}{'-storage' if storage else ''}" for service, kind, storage
         in itertools.product(("deepaas", "jupyter"), ("cpu", "gpu"), (False, True))]


def _request(case: str) -> DeploymentRequest:
    service, kind = case.split("-")[:2]
    body: dict = {"image": f"deephdc/deep-oc-image-classification-tf:{kind}", "service": service,
                  "hardware": {"cpus": 2, "memory": 8192, "disk": 10240,
                               "gpus": 1 if kind == "gpu" else 0},
                  "env": {"EPOCHS": "10"}, "description": "plant classifier retraining"}
    if case.endswith("-storage"):
        body["storage"] = STORAGE
    if service == "jupyter":
        body["jupyter_password"] = "a-long-jupyter-password"
    return DeploymentRequest.model_validate(body)


def _app(case: str, **options) -> dict:
    request = _request(case)
    obscured = "OBSCURED-BY-RCLONE" if request.storage else None
    return specs.marathon_app_for(
        request, identity=ALICE, deployment_id="0123456789abcdef01234567",
        templates=TEMPLATES, group="/gateway", created_at=CREATED,
        rclone_password_obscured=obscured, **options)


@pytest.mark.parametrize("case", CASES)
def test_marathon_app_matches_golden_file(case):
    app = _app(case)
    path = GOLDEN / f"marathon-app-{case}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(app, indent=2, sort_keys=True) + "\n")
    assert app == json.loads(path.read_text())


def test_every_golden_file_belongs_to_a_case():
    assert sorted(p.name for p in GOLDEN.glob("marathon-app-*.json")) == sorted(
        f"marathon-app-{case}.json" for case in CASES)


@pytest.mark.parametrize("case", CASES)
def test_app_uses_the_mesos_containerizer_with_integer_gpus_and_host_networking(case):
    app = _app(case)
    assert app["container"]["type"] == "MESOS"
    assert set(app["container"]["docker"]) <= {"image", "forcePullImage"}
    assert isinstance(app["gpus"], int) and app["gpus"] == (1 if "-gpu" in case else 0)
    assert app["networks"] == [{"mode": "host"}]
    assert [p["name"] for p in app["portDefinitions"]] == ["api", "monitor", "ide"]
    assert all(p["port"] == 0 for p in app["portDefinitions"])
    assert app["healthChecks"][0]["protocol"].startswith("MESOS_")


def test_the_health_check_watches_the_port_of_the_service():
    assert _app("deepaas-cpu")["healthChecks"][0]["portIndex"] == 0
    assert _app("jupyter-cpu")["healthChecks"][0]["portIndex"] == 2


def test_app_is_published_by_marathon_lb_and_labelled_with_its_owner():
    labels = _app("deepaas-cpu")["labels"]
    assert labels["HAPROXY_GROUP"] == "external"
    assert labels[specs.OWNER_LABEL] == ALICE.owner
    assert not any(key.endswith("_VHOST") for key in labels)


def test_a_configured_domain_gives_each_port_a_virtual_host():
    labels = _app("deepaas-cpu", vhost_domain="deep.example.org")["labels"]
    assert labels["HAPROXY_0_VHOST"] == "api-0123456789abcdef01234567.deep.example.org"
    assert labels["HAPROXY_2_VHOST"] == "ide-0123456789abcdef01234567.deep.example.org"


def test_one_gpu_app_restarts_without_a_second_gpu():
    assert _app("jupyter-gpu-storage")["upgradeStrategy"] == {
        "minimumHealthCapacity": 0, "maximumOverCapacity": 0}


def test_storage_password_is_only_sent_obscured_and_no_secret_lands_in_labels():
    app = _app("jupyter-gpu-storage")
    assert "nextcloud-app-password" not in json.dumps(app)
    assert app["env"]["RCLONE_CONFIG_RSHARE_PASS"] == "OBSCURED-BY-RCLONE"
    assert "a-long-jupyter-password" not in json.dumps(app["labels"])
    assert app["env"]["jupyterPASSWORD"] == "a-long-jupyter-password"


def test_an_idempotency_key_is_stored_as_a_digest_label_never_in_clear():
    labels = _app("deepaas-cpu", idempotency_key="retry-me-42")["labels"]
    assert labels[specs.IDEMPOTENCY_LABEL] == specs.idempotency_label(ALICE.owner, "retry-me-42")
    assert "retry-me-42" not in json.dumps(labels)


def test_the_request_fingerprint_ignores_secrets_but_not_hardware():
    base = _request("jupyter-cpu-storage")
    other_secrets = base.model_copy(update={"jupyter_password": "another-long-password"})
    more_cpus = base.model_copy(update={"hardware": base.hardware.model_copy(update={"cpus": 3})})
    assert specs.request_fingerprint(base) == specs.request_fingerprint(other_secrets)
    assert specs.request_fingerprint(base) != specs.request_fingerprint(more_cpus)


def test_reserved_environment_names_are_refused():
    request = DeploymentRequest.model_validate(
        {"image": "deephdc/x", "env": {"RCLONE_CONFIG_RSHARE_PASS": "x", "PORT0": "1", "OK": "y"}})
    with pytest.raises(InvalidInput) as caught:
        specs.marathon_app_for(request, identity=ALICE, deployment_id="0" * 24,
                               templates=TEMPLATES, group="/gateway", created_at=CREATED)
    assert {e["field"] for e in caught.value.extra["errors"]} == {
        "env.PORT0", "env.RCLONE_CONFIG_RSHARE_PASS"}
