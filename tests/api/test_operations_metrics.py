"""What operators see of a running gateway: request ids end to end, and the metrics in /metrics."""

from __future__ import annotations

import re

from tests.auth.conftest import Gateway, start_gateway
from tests.auth.keys import ISSUER

BODY = {"module": "image-classification-tf", "service": "deepaas",
        "hardware": {"cpus": 1, "memory": 2048, "gpus": 0}}


def _metric(gateway: Gateway, name: str, **labels: str) -> float | None:
    text = gateway.client.get("/metrics").text
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            return float(match.group(2))
    return None


def test_the_request_id_a_proxy_sends_is_returned_and_sent_upstream():
    for gateway in start_gateway():
        response = gateway.get("/v1/deployments", gateway.issuer.token(),
                               headers={"X-Request-Id": "apache-Z2F0ZXdheQ@1"})

        assert response.status_code == 200
        assert response.headers["x-request-id"] == "apache-Z2F0ZXdheQ@1"
        assert gateway.recorder.upstream
        assert {r.headers.get("x-request-id") for r in gateway.recorder.upstream} == {
            "apache-Z2F0ZXdheQ@1"}


def test_a_request_without_an_id_gets_one_made_for_it_and_its_upstream_calls():
    for gateway in start_gateway():
        response = gateway.get("/v1/deployments", gateway.issuer.token())

        made = response.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)
        assert {r.headers.get("x-request-id") for r in gateway.recorder.upstream} == {made}
        assert gateway.get("/healthz", None).headers["x-request-id"] != made


def test_upstream_calls_are_counted_by_scheduler_route_template_and_outcome():
    for gateway in start_gateway():
        token = gateway.issuer.token()
        gateway.get("/v1/deployments", token)
        gateway.get("/v1/deployments/0123456789abcdef01234567", token)  # not found upstream

        assert _metric(gateway, "gateway_upstream_requests_total", scheduler="marathon",
                       method="GET", route="/v2/apps", outcome="ok") == 1.0
        assert _metric(gateway, "gateway_upstream_requests_total", scheduler="marathon",
                       route="/v2/apps/{id}", outcome="client_error") == 1.0
        assert _metric(gateway, "gateway_upstream_request_duration_seconds_count",
                       scheduler="marathon", route="/v2/apps") == 1.0
        assert "0123456789abcdef" not in gateway.client.get("/metrics").text


def test_refused_tokens_are_counted_by_reason_and_key_fetches_by_outcome():
    for gateway in start_gateway():
        gateway.me(gateway.issuer.token(exp=1))
        gateway.me(gateway.issuer.token(exp=1))
        gateway.me(gateway.issuer.token(iss="https://rogue.test/"))
        gateway.me(gateway.issuer.token(groups=["elsewhere"]))
        gateway.me(gateway.issuer.token())

        assert _metric(gateway, "gateway_token_refusals_total", reason="expired") == 2.0
        assert _metric(gateway, "gateway_token_refusals_total", reason="untrusted_issuer") == 1.0
        assert _metric(gateway, "gateway_token_refusals_total", reason="not_in_group") == 1.0
        assert _metric(gateway, "gateway_jwks_refreshes_total", issuer=ISSUER, outcome="ok") == 1.0
        assert _metric(gateway, "gateway_jwks_refreshes_total", issuer=ISSUER,
                       outcome="failed") == 0.0


def test_quota_refusals_are_counted_by_kind_and_resource():
    for gateway in start_gateway(quota_deployments=0):
        response = gateway.request("POST", "/v1/deployments", gateway.issuer.token(), json=BODY)

        assert response.status_code == 403
        assert _metric(gateway, "gateway_quota_refusals_total", kind="deployments",
                       resource="deployments") == 1.0


def test_static_leaders_never_change_and_no_zookeeper_state_is_claimed():
    for gateway in start_gateway():
        assert _metric(gateway, "gateway_leader_changes_total", scheduler="marathon") == 0.0
        assert "gateway_zookeeper_connected" not in gateway.client.get("/metrics").text
