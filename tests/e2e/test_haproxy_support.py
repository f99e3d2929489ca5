"""The test HAProxy is configured from Marathon's state by marathon-lb's naming and routing rules."""

import http.server
import threading

import httpx
import pytest

from tests.support.haproxy import HAProxy, marathon_lb_config
from tests.support.ports import free_port


def _app(app_id="/gateway/abc", **fields) -> dict:
    return {"id": app_id, "labels": {"HAPROXY_GROUP": "external"},
            "portDefinitions": [{"port": 10005, "name": "api"}, {"port": 10006, "name": "ide"}],
            "healthChecks": [{"protocol": "MESOS_HTTP"}],
            "tasks": [{"id": "t1", "host": "127.0.0.1", "state": "TASK_RUNNING",
                       "ports": [31001, 31002], "healthCheckResults": [{"alive": True}]}],
            **fields}


def test_frontends_and_backends_are_named_after_the_app_id_and_service_port():
    published = marathon_lb_config([_app("/ml/inference-api")])
    assert published.frontends == {"ml_inference-api_10005": 10005, "ml_inference-api_10006": 10006}
    assert published.servers["ml_inference-api_10005"] == ["127.0.0.1:31001"]
    assert "server 127_0_0_1_31001 127.0.0.1:31001 id " in published.text


def test_only_running_healthy_tasks_of_the_group_are_routed():
    staging = _app(tasks=[{"id": "t", "host": "127.0.0.1", "state": "TASK_STAGING",
                           "ports": [1, 2], "healthCheckResults": [{"alive": True}]}])
    unhealthy = _app("/gateway/sick", tasks=[{"id": "t", "host": "127.0.0.1",
                                              "state": "TASK_RUNNING", "ports": [1, 2],
                                              "healthCheckResults": [{"alive": False}]}])
    internal = _app("/gateway/internal", labels={"HAPROXY_GROUP": "internal"})
    published = marathon_lb_config([staging, unhealthy, internal])
    assert published.servers == {"gateway_abc_10005": [], "gateway_abc_10006": [],
                                 "gateway_sick_10005": [], "gateway_sick_10006": []}


def test_a_virtual_host_makes_the_port_http_and_routes_it_on_the_shared_frontend():
    app = _app(labels={"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "API-x.example.org"})
    published = marathon_lb_config([app], http_port=8080)
    assert published.vhosts == {"api-x.example.org": "gateway_abc_10005"}
    assert "frontend marathon_http_in" in published.text
    assert "hdr(host) -i api-x.example.org" in published.text


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"hello from {self.server.server_address[1]} for {self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.slow
def test_a_real_haproxy_forwards_the_service_port_and_the_virtual_host(tmp_path):
    task = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=task.serve_forever, daemon=True).start()
    task_port = task.server_address[1]
    service_port, http_port = free_port(), free_port()
    app = _app(labels={"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "api-x.example.org"},
               portDefinitions=[{"port": service_port, "name": "api"}],
               tasks=[{"id": "t1", "host": "127.0.0.1", "state": "TASK_RUNNING",
                       "ports": [task_port], "healthCheckResults": [{"alive": True}]}])
    published = marathon_lb_config([app], http_port=http_port)
    try:
        with HAProxy(tmp_path, published.text) as haproxy:
            haproxy.start([service_port, http_port])
            direct = httpx.get(f"http://127.0.0.1:{service_port}/", timeout=5)
            by_name = httpx.get(f"http://127.0.0.1:{http_port}/", timeout=5,
                                headers={"Host": "api-x.example.org"})
            unknown = httpx.get(f"http://127.0.0.1:{http_port}/", timeout=5,
                                headers={"Host": "other.example.org"})
    finally:
        task.shutdown()
    assert direct.text == f"hello from {task_port} for 127.0.0.1:{service_port}"
    assert by_name.text == f"hello from {task_port} for api-x.example.org"
    assert unknown.status_code == 503
