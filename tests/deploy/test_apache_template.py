"""deploy/apache/: the virtual host template is accepted by Debian's Apache with its modules.

Only the configuration is checked here (`apache2ctl -t`); traffic through Apache is the web UI
tests' part.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.apache import APACHE_DIR, apache2ctl, render, server_config, template_variables
from tests.support.certificates import server_certificate

VALUES = {
    "PUBLIC_HOST": "gateway.example.org",
    "PUBLIC_PREFIX": "",
    "HTTP_PORT": "18080",
    "HTTPS_PORT": "18443",
    "OIDC_PROVIDER_METADATA_URL": "https://iam.example.org/.well-known/openid-configuration",
    "OIDC_CLIENT_ID": "gateway-ui",
    "OIDC_CLIENT_SECRET": "client-secret",
    "OIDC_CRYPTO_PASSPHRASE": "a-long-random-passphrase",
    "OIDC_SCOPE": "openid profile email offline_access",
    "OIDC_GROUPS_CLAIM": "groups",
    "UI_BEARER_TOKEN": "OIDC_access_token",
    "ADMIN_GROUP": "deep-admins",
    "GATEWAY_REPLICA_1": "http://10.0.0.11:8000",
    "GATEWAY_REPLICA_2": "http://10.0.0.12:8000",
    "MARATHON_URL": "http://10.0.0.21:8080",
    "MARATHON_USER": "gateway",
    "MARATHON_PASSWORD": "marathon-secret",
    "CHRONOS_URL": "http://10.0.0.22:4400",
    "CHRONOS_USER": "gateway",
    "CHRONOS_PASSWORD": "chronos-secret",
}

needs_apache = pytest.mark.skipif(
    apache2ctl() is None, reason="apache2 not installed (make test installs apache2 and "
    "libapache2-mod-auth-openidc)")


def _server_root(tmp_path: Path, site: Path,
                 prefix: str = "") -> tuple[Path, dict[str, str]]:
    tls = server_certificate(tmp_path)
    values = {**VALUES, "PUBLIC_PREFIX": prefix, "TLS_CERTIFICATE_FILE": str(tls.cert_file),
              "TLS_CERTIFICATE_KEY_FILE": str(tls.key_file),
              "APACHE_LOG_DIR": str(tmp_path), "DEV_PROVIDER_URL": "http://10.0.0.30:8080"}
    (tmp_path / "gateway.d").mkdir()
    conf = tmp_path / "httpd.conf"
    conf.write_text(server_config(tmp_path, site, [int(VALUES["HTTP_PORT"]),
                                                   int(VALUES["HTTPS_PORT"])]))
    return conf, values


def _config_test(conf: Path, server_root: Path,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(apache2ctl()), "-t", "-f", str(conf), "-d", str(server_root)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


@needs_apache
@pytest.mark.parametrize("prefix", ["", "/gpu-gateway"], ids=["at the root", "under a prefix"])
def test_the_rendered_template_passes_apaches_config_test_with_the_debian_modules(tmp_path,
                                                                                  prefix):
    site = tmp_path / "gateway-site.conf"
    conf, values = _server_root(tmp_path, site, prefix)
    site.write_text(render(values))
    (tmp_path / "gateway.d" / "dev-provider.conf").write_text(
        render(values, (APACHE_DIR / "dev-provider.conf").read_text()))

    result = _config_test(conf, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Syntax OK" in result.stderr
    # Apache names an undefined ${VAR} only in a warning: none may be left.
    assert "is not defined" not in result.stderr


@needs_apache
@pytest.mark.parametrize("prefix", ["", "/gpu-gateway"], ids=["at the root", "under a prefix"])
def test_apache_reads_the_unrendered_template_with_the_variables_in_its_environment(tmp_path,
                                                                                     prefix):
    conf, values = _server_root(tmp_path, APACHE_DIR / "gateway.conf", prefix)

    result = _config_test(conf, tmp_path, env=values)

    assert result.returncode == 0, result.stderr
    assert "is not defined" not in result.stderr


@needs_apache
def test_a_variable_left_out_is_named_by_apache(tmp_path):
    conf, values = _server_root(tmp_path, APACHE_DIR / "gateway.conf")
    del values["ADMIN_GROUP"]

    result = _config_test(conf, tmp_path, env=values)

    assert "ADMIN_GROUP" in result.stderr


def test_every_variable_of_the_templates_is_explained_in_the_guide():
    guide = (APACHE_DIR / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)`", guide, flags=re.MULTILINE))
    used = template_variables() | template_variables((APACHE_DIR / "dev-provider.conf").read_text())

    assert used == documented


def test_the_template_never_forwards_identity_headers_a_client_could_forge():
    text = (APACHE_DIR / "gateway.conf").read_text()
    stripped = set(re.findall(r"RequestHeader unset (\S+) early", text))

    assert {"X-Forwarded-User", "REMOTE_USER", "Remote-User", "OIDC_CLAIM_sub",
            "OIDC_access_token", "X-Forwarded-Prefix"} <= stripped
    assert "OIDCPassClaimsAs environment" in text


def test_the_images_entrypoint_names_every_variable_left_unset_and_refuses_to_start(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "GATEWAY_APACHE_GUIDE": str(APACHE_DIR / "README.md"),
           **{name: value for name, value in VALUES.items() if name != "OIDC_CLIENT_SECRET"}}

    result = subprocess.run(["sh", str(APACHE_DIR / "docker-entrypoint.sh"), "true"], env=env,
                            capture_output=True, text=True, timeout=30)

    assert result.returncode == 3
    assert result.stderr.rsplit(":", 1)[1].split() == [
        "TLS_CERTIFICATE_FILE", "TLS_CERTIFICATE_KEY_FILE", "APACHE_LOG_DIR", "OIDC_CLIENT_SECRET"]
