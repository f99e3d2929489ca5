"""An Idempotency-Key retry must repeat the secrets too: another Jupyter or storage password is
a different request (422), told apart by a keyed digest, never by a plain hash of a password."""

from __future__ import annotations

import hashlib

import pytest

from tests.support.deployments_harness import harness_for as _harness

STORAGE = {"rclone_url": "https://nc.example.org/remote.php/webdav/", "rclone_user": "u1",
           "rclone_password": "storage-secret-1"}
JUPYTER = {"module": "image-classification-tf", "service": "jupyter",
           "jupyter_password": "notebook-secret-1", "storage": STORAGE}


@pytest.fixture
def harness():
    yield from _harness()


def _deploy(harness, body):
    return harness.deploy(body=body, headers={"Idempotency-Key": "retry-1"})


def test_the_same_secrets_are_replayed(harness):
    first = _deploy(harness, JUPYTER)
    again = _deploy(harness, JUPYTER)
    assert first.status_code == again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and len(harness.cluster.apps) == 1


@pytest.mark.parametrize("changed", [
    {"jupyter_password": "notebook-secret-2"},
    {"storage": {**STORAGE, "rclone_password": "storage-secret-2"}},
])
def test_another_password_with_the_same_key_is_refused(harness, changed):
    assert _deploy(harness, JUPYTER).status_code == 202
    refused = _deploy(harness, {**JUPYTER, **changed})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(harness.cluster.apps) == 1


def test_the_app_holds_no_plain_digest_of_a_password(harness):
    assert _deploy(harness, JUPYTER).status_code == 202
    [app] = harness.cluster.apps.values()
    labels = " ".join(app["labels"].values())
    for secret in ("notebook-secret-1", "storage-secret-1"):
        assert secret not in labels
        for digest in (hashlib.sha256, hashlib.sha1, hashlib.md5):
            assert digest(secret.encode()).hexdigest()[:16] not in labels


def test_two_apps_with_the_same_password_carry_different_digests(harness):
    assert _deploy(harness, JUPYTER).status_code == 202
    assert harness.deploy(body=JUPYTER, headers={"Idempotency-Key": "retry-2"}).status_code == 202
    digests = {app["labels"]["gateway.secrets"] for app in harness.cluster.apps.values()}
    assert len(digests) == 2
