"""docker-compose.yml: what can be checked without a Docker engine.

`docker-compose config` validates the file with `.env.example` as its environment; the rest reads
the same interpolation and checks that the gateways' settings exist and are valid, and that every
address, port and credential agrees between the services.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from gateway.config import Settings
from tests.support.apache import template_variables
from tests.support.paths import REPO

ROOT = REPO
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}; $$ is a literal dollar."""

    def value(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        current = env.get(name, "")
        if operator in (":?", "?") and not current:
            raise AssertionError(f"{name} must be set: {argument}")
        return current if current or operator not in (":-", "-") else argument

    return _REFERENCE.sub(value, text.replace("$$", "\0")).replace("\0", "$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        _interpolate((ROOT / "docker-compose.yml").read_text(), _env_example()))
    return loaded


def _gateways(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in compose["services"].items()
            if service.get("build") == "."}


def _addresses(compose: dict[str, Any]) -> dict[str, str]:
    """Every name a container can reach: service names and network aliases, to their service."""
    names = {}
    for name, service in compose["services"].items():
        names[name] = name
        for network in (service.get("networks") or {}).values():
            for alias in (network or {}).get("aliases", []):
                names[alias] = name
    return names


@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="docker-compose not installed (make test installs it)")
def test_docker_compose_accepts_the_file_with_every_profile(tmp_path):
    result = subprocess.run(
        ["docker-compose", "--env-file", str(ROOT / ".env.example"), "--profile", "dev",
         "--profile", "gpu", "--profile", "monitoring", "--project-directory", str(ROOT), "-f",
         str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert {"zookeeper", "mesos-master", "mesos-agent", "mesos-agent-gpu", "marathon", "chronos",
            "marathon-lb", "gateway-1", "gateway-2", "apache", "keycloak", "prometheus",
            "grafana"} <= set(services)


def test_two_gateway_replicas_share_zookeeper(compose):
    gateways = _gateways(compose)

    assert len(gateways) == 2
    for service in gateways.values():
        assert service["environment"]["GATEWAY_ZK_HOSTS"]


def test_every_gateway_variable_is_a_setting_and_the_settings_are_valid(compose, monkeypatch):
    for service in _gateways(compose).values():
        environment = {key: str(value) for key, value in service["environment"].items()}
        names = {key for key in environment if key.startswith("GATEWAY_")}
        unknown = {key for key in names if key.removeprefix("GATEWAY_").lower()
                   not in Settings.model_fields}
        assert not unknown, f"not gateway settings: {sorted(unknown)}"
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        # What `gateway serve` refuses to start without, and what two replicas need.
        assert settings.oidc_issuers and settings.zk_hosts and settings.admin_groups
        assert settings.lb_host


def test_the_gateways_use_the_schedulers_credentials(compose):
    services = compose["services"]
    marathon = services["marathon"]["environment"]["MARATHON_HTTP_CREDENTIALS"]
    chronos = re.search(r"--http_credentials (\S+)", services["chronos"]["command"])
    assert chronos is not None
    for service in _gateways(compose).values():
        env = service["environment"]
        assert f"{env['GATEWAY_MARATHON_USER']}:{env['GATEWAY_MARATHON_PASSWORD']}" == marathon
        assert f"{env['GATEWAY_CHRONOS_USER']}:{env['GATEWAY_CHRONOS_PASSWORD']}" == chronos.group(1)


def test_every_address_given_to_a_gateway_or_apache_is_a_service_of_the_file(compose):
    addresses = _addresses(compose)
    services = compose["services"]
    checked = []
    for name in [*_gateways(compose), "apache"]:
        for key, value in services[name]["environment"].items():
            value = str(value)
            if key == "GATEWAY_ZK_HOSTS":
                hosts = [entry.split(":")[0] for entry in value.split("/")[0].split(",")]
            elif key == "GATEWAY_OIDC_ISSUERS":
                hosts = [urlsplit(url).hostname or "" for url in value.split(",")]
            elif re.match(r"https?://", value):
                hosts = [urlsplit(value).hostname or ""]
            else:
                continue
            for host in hosts:
                assert host in addresses, f"{name}: {key}={value} names no service"
                checked.append(key)
    assert {"GATEWAY_ZK_HOSTS", "GATEWAY_OIDC_ISSUERS", "GATEWAY_REPLICA_1", "MARATHON_URL",
            "CHRONOS_URL"} <= set(checked)


def test_apache_reaches_each_service_on_the_port_it_listens_on(compose):
    services = compose["services"]
    apache = services["apache"]["environment"]
    gateways = _gateways(compose)
    for key in ("GATEWAY_REPLICA_1", "GATEWAY_REPLICA_2"):
        url = urlsplit(apache[key])
        command = gateways[str(url.hostname)]["command"]
        assert str(url.port) == command[command.index("--port") + 1]
    assert urlsplit(apache["MARATHON_URL"]).port == int(
        services["marathon"]["environment"]["MARATHON_HTTP_PORT"])
    assert f"--http_port {urlsplit(apache['CHRONOS_URL']).port}" in services["chronos"]["command"]
    assert {apache[key] for key in ("GATEWAY_REPLICA_1", "GATEWAY_REPLICA_2")} == {
        f"http://{name}:8000" for name in gateways}


def test_apache_gets_every_variable_of_the_template(compose):
    apache = compose["services"]["apache"]["environment"]
    # APACHE_LOG_DIR comes from the image (Dockerfile ENV).
    missing = template_variables() - {"APACHE_LOG_DIR"} - set(apache)

    assert not missing


def test_gateways_trust_forwarded_headers_from_apache_only(compose):
    apache_address = compose["services"]["apache"]["networks"]["cluster"]["ipv4_address"]
    for service in _gateways(compose).values():
        command = service["command"]
        assert command[command.index("--forwarded-allow-ips") + 1] == apache_address


def test_health_checks_gate_the_start_order_and_the_gateways_report_readiness(compose):
    services = compose["services"]
    for name, service in services.items():
        assert "healthcheck" in service or "HEALTHCHECK" in (ROOT / service["build"] / "Dockerfile"
                                                             ).read_text(), name
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert condition["condition"] == "service_healthy", f"{name} -> {dependency}"
    for service in _gateways(compose).values():
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
    assert set(services["apache"]["depends_on"]) == set(_gateways(compose))


def test_images_are_pinned_and_only_apache_and_marathon_lb_are_published(compose):
    for name, service in compose["services"].items():
        image = service.get("image", "")
        assert re.search(r":[\w.-]+$", image) and not image.endswith(":latest"), name
        if name not in ("apache", "marathon-lb"):
            # Nothing else beyond this host: monitoring UIs on loopback at most.
            assert all(port.startswith("127.0.0.1:") for port in service.get("ports", [])), name


def test_prometheus_scrapes_every_gateway_replica_on_its_port_and_loads_the_alert_rules(compose):
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    [job] = [job for job in config["scrape_configs"] if job["job_name"] == "gateway"]
    targets = {target for group in job["static_configs"] for target in group["targets"]}
    gateways = _gateways(compose)

    assert targets == {f"{name}:{service['command'][service['command'].index('--port') + 1]}"
                       for name, service in gateways.items()}
    mounted = {volume.split(":")[1] for volume in compose["services"]["prometheus"]["volumes"]}
    assert {f"/etc/prometheus/{rule}" for rule in config["rule_files"]} <= mounted


def test_secrets_come_from_an_uncommitted_env_file():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    text = (ROOT / "docker-compose.yml").read_text()

    assert "/.env" in ignored
    for secret in ("MARATHON_PASSWORD", "CHRONOS_PASSWORD", "OIDC_CLIENT_SECRET",
                   "OIDC_CRYPTO_PASSPHRASE"):
        assert f"${{{secret}" in text
        assert secret in _env_example()
