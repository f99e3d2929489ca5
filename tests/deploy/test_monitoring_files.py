"""deploy/prometheus and deploy/grafana use only metrics (and labels) that /metrics exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest
import yaml

from gateway.discovery.source import StaticLeaderSource
from gateway.metrics import GatewayMetrics
from tests.support.paths import REPO

ROOT = REPO
RULES = ROOT / "deploy" / "prometheus" / "gateway-alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "gateway-dashboard.json"
# Added by Prometheus to every scraped series, and its own scrape health.
SCRAPE_LABELS = {"job", "instance", "le"}
BUILTIN = {"up": {"job", "instance"}}
_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
             "gauge": ("",), "info": ("_info",)}


class _ZooKeeperLeaders(StaticLeaderSource):
    """A leader source that reports a ZooKeeper connection, so its gauge is exported too."""

    def status(self) -> dict[str, object]:
        return {"source": "zookeeper", "zookeeper": {"state": "connected"}}


def exported() -> dict[str, set[str]]:
    """Every series name /metrics can export, with its labels (families without samples too)."""
    metrics = GatewayMetrics("test")
    # One of each, so the families read from the edges have samples to show their labels.
    issuer = SimpleNamespace(refreshes=2, failed_refreshes=1)
    edges = SimpleNamespace(leaders=_ZooKeeperLeaders({}),
                            verifier=SimpleNamespace(refusals={"expired": 1},
                                                     issuers={"https://iam.test/": issuer}),
                            quotas=SimpleNamespace(refusals={("deployments", "gpus"): 1}))
    metrics.watch(lambda: edges)  # type: ignore[arg-type, return-value]
    names: dict[str, set[str]] = {}
    for family in metrics.registry.collect():
        labels = {key for sample in family.samples for key in sample.labels}
        described = getattr(metrics.registry, "_names_to_collectors", {}).get(family.name)
        labels |= set(getattr(described, "_labelnames", ()))
        for suffix in _SUFFIXES[family.type]:
            names[family.name + suffix] = labels | SCRAPE_LABELS
    return names


def _expressions() -> list[str]:
    rules = yaml.safe_load(RULES.read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads(DASHBOARD.read_text())
    expressions += [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    expressions += [var["query"] for var in dashboard["templating"]["list"]]
    return expressions


def test_every_metric_and_label_the_alerts_and_the_dashboard_use_is_exported():
    names = {**exported(), **BUILTIN}
    used = set()
    for expression in _expressions():
        for name, selector in re.findall(r"\b((?:gateway_|up\b)\w*)(\{[^}]*\})?", expression):
            assert name in names, f"{name} is not exported (in {expression!r})"
            used.add(name)
            for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", selector):
                assert label in names[name], f"{name} has no label {label!r}"
        for grouping in re.findall(r"\bby\s*\(([^)]*)\)", expression):
            for label in (part.strip() for part in grouping.split(",")):
                assert any(label in names[n] for n in re.findall(r"\bgateway_\w+", expression)), (
                    f"no metric of {expression!r} has the label {label!r}")
    # The point of the files: every family of metrics is watched somewhere.
    assert {"gateway_upstream_requests_total", "gateway_leader_changes_total",
            "gateway_zookeeper_connected", "gateway_token_refusals_total",
            "gateway_quota_refusals_total", "gateway_jwks_refreshes_total",
            "gateway_http_request_duration_seconds_bucket"} <= used


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool not installed (make test installs prometheus)")
def test_promtool_accepts_the_config_and_rules_and_each_alert_fires_on_its_unit_test():
    check = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    config = subprocess.run(["promtool", "check", "config", "prometheus.yml"], cwd=RULES.parent,
                            capture_output=True, text=True, timeout=60)
    assert config.returncode == 0, config.stdout + config.stderr
    tested = subprocess.run(["promtool", "test", "rules", "gateway-alerts.test.yml"],
                            cwd=RULES.parent, capture_output=True, text=True, timeout=60)
    assert tested.returncode == 0, tested.stdout + tested.stderr
