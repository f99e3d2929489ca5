"""Operators scrape /metrics: requests by route template and status, and leader state."""


from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.config import Settings
from tests.support.paths import JOB_SPECS


def _client() -> TestClient:
    settings = Settings(oidc_issuers=["https://iam.example.org/"], job_specs_dir=JOB_SPECS,
                        marathon_url="http://127.0.0.1:1", chronos_url="", mesos_url="http://127.0.0.1:2")
    return TestClient(create_app(settings))


def test_requests_are_counted_by_route_template_not_by_raw_path():
    with _client() as client:
        client.get("/healthz")
        client.get("/v1/deployments/abc")   # 401: no token
        client.get("/v1/deployments/def")
        text = client.get("/metrics").text
    assert 'gateway_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert ('gateway_http_requests_total{method="GET",route="/v1/deployments/{deployment_id}",'
            'status="401"} 2.0') in text
    assert "/v1/deployments/abc" not in text


def test_leader_state_is_exported_per_scheduler():
    with _client() as client:
        text = client.get("/metrics").text
    assert 'gateway_leader_known{scheduler="marathon"} 1.0' in text
    assert 'gateway_leader_known{scheduler="chronos"} 0.0' in text
    assert 'gateway_build_info{version="0.1.0"} 1.0' in text


def test_two_apps_in_one_process_keep_separate_counters():
    with _client() as first, _client() as second:
        first.get("/healthz")
        text = second.get("/metrics").text
    assert 'route="/healthz"' not in text


def test_made_up_http_methods_do_not_each_become_a_time_series():
    with _client() as client:
        for n in range(5):
            client.request(f"BREW{n}", "/nowhere")
        text = client.get("/metrics").text
    assert "BREW" not in text
    assert 'gateway_http_requests_total{method="other",route="unmatched",status="404"} 5.0' in text
