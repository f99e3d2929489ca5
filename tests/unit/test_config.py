"""Operators get a clear refusal at start for configuration that cannot work."""

import shutil
import subprocess
import sys
import time

import httpx
import pytest
from pydantic import ValidationError

from gateway.config import Settings
from tests.support.paths import JOB_SPECS
from tests.support.ports import free_port


def test_issuers_are_read_comma_separated_from_the_environment(monkeypatch):
    monkeypatch.setenv("GATEWAY_OIDC_ISSUERS", "https://iam.example.org/, https://aai.egi.eu/auth/realms/egi")
    monkeypatch.setenv("GATEWAY_ADMIN_GROUPS", "deep/admins")
    settings = Settings()
    assert settings.oidc_issuers == ["https://iam.example.org/", "https://aai.egi.eu/auth/realms/egi"]
    assert settings.admin_groups == ["deep/admins"]


def test_plain_http_issuers_are_refused_unless_on_loopback():
    assert Settings(oidc_issuers=["http://127.0.0.1:9000/"]).oidc_issuers == ["http://127.0.0.1:9000/"]
    with pytest.raises(ValidationError, match="https"):
        Settings(oidc_issuers=["http://iam.example.org/"])


def test_symmetric_or_none_algorithms_are_refused():
    for algorithms in (["HS256"], ["none"], []):
        with pytest.raises(ValidationError):
            Settings(oidc_algorithms=algorithms)


def test_the_marathon_group_must_be_an_absolute_path():
    with pytest.raises(ValidationError):
        Settings(marathon_group="gateway/")


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway", "serve"], capture_output=True,
                          text=True, timeout=30, env={"PATH": "/usr/bin:/bin", **env})


def test_serve_refuses_to_start_without_trusted_issuers():
    result = _serve({})
    assert result.returncode == 3
    assert "GATEWAY_OIDC_ISSUERS" in result.stderr


def test_serve_names_the_invalid_variable():
    result = _serve({"GATEWAY_OIDC_ISSUERS": "http://iam.example.org/"})
    assert result.returncode == 3
    assert "GATEWAY_OIDC_ISSUERS" in result.stderr and "https" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_setting_is_described_and_listed_by_help_config():
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == []
    listed = subprocess.run([sys.executable, "-m", "gateway", "serve", "--help-config"],
                            capture_output=True, text=True, timeout=30, check=True).stdout
    for name in Settings.model_fields:
        assert f"GATEWAY_{name.upper()}  (default: " in listed


def test_scheduler_urls_without_an_http_scheme_are_refused():
    assert Settings(marathon_url="https://marathon.example.org:8443/").marathon_url == \
        "https://marathon.example.org:8443/"
    assert Settings(chronos_url="").chronos_url == ""
    for url in ("marathon.example.org:8080", "ftp://marathon.example.org", "http://",
                "http://marathon.example.org:8080/?x=1"):
        with pytest.raises(ValidationError, match="http"):
            Settings(marathon_url=url)


def test_serve_names_a_broken_catalog_file_instead_of_failing_with_a_traceback(tmp_path):
    specs = JOB_SPECS
    for name in ("services.yaml", "jobs.yaml"):
        shutil.copy(specs / name, tmp_path / name)
    (tmp_path / "modules.yaml").write_text("modules: [{name: 3}]\n")
    result = _serve({"GATEWAY_OIDC_ISSUERS": "https://iam.example.org/",
                     "GATEWAY_JOB_SPECS_DIR": str(tmp_path)})
    assert result.returncode == 3
    assert "modules.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_started_in_another_directory_uses_the_catalog_shipped_with_the_package(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port)], cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={"PATH": "/usr/bin:/bin", "GATEWAY_OIDC_ISSUERS": "https://iam.example.org/",
             "GATEWAY_MARATHON_URL": "http://127.0.0.1:1", "GATEWAY_MESOS_URL": "http://127.0.0.1:1"})
    try:
        deadline = time.monotonic() + 30
        answer = None
        while answer is None and process.poll() is None and time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "cannot be read" not in output, output


def test_serve_names_the_setting_when_the_catalog_directory_cannot_be_read(tmp_path):
    result = _serve({"GATEWAY_OIDC_ISSUERS": "https://iam.example.org/",
                     "GATEWAY_JOB_SPECS_DIR": str(tmp_path / "nowhere")})
    assert result.returncode == 3
    assert "services.yaml: cannot be read" in result.stderr
    assert "GATEWAY_JOB_SPECS_DIR" in result.stderr and "Traceback" not in result.stderr
