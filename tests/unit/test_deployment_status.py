"""What users read about a deployment is derived from Marathon's app and launch queue."""

from gateway.translation.deployment_status import deployment_from_app, deployment_status

PORTS = [{"port": 10001, "name": "api"}, {"port": 10002, "name": "monitor"},
         {"port": 10003, "name": "ide"}]
MAIN_PORTS = {"deepaas": "api", "jupyter": "ide"}


def _app(**fields) -> dict:
    return {"id": "/gateway/0123456789abcdef01234567", "instances": 1, "tasksRunning": 0,
            "tasksHealthy": 0, "tasksUnhealthy": 0, "tasksStaged": 0, "deployments": [],
            "healthChecks": [{"protocol": "MESOS_HTTP"}], "portDefinitions": PORTS,
            "labels": {"gateway.service": "deepaas", "gateway.owner": "o"}, **fields}


def _gpu_queue(declined: int = 3) -> dict:
    return {"count": 1, "delay": {"timeLeftSeconds": 0, "overdue": True},
            "processedOffersSummary": {"rejectSummaryLastOffers": [
                {"reason": "InsufficientGpus", "declined": declined, "processed": 3},
                {"reason": "InsufficientCpus", "declined": 0, "processed": 3}]}}


def test_a_deployment_short_of_gpus_waits_and_says_so():
    status, reason = deployment_status(_app(deployments=[{"id": "d"}]), _gpu_queue())
    assert status == "waiting"
    assert reason == "Waiting for resources: no agent has enough free GPUs."


def test_a_queued_app_without_declined_offers_is_still_deploying():
    status, _ = deployment_status(_app(deployments=[{"id": "d"}]), _gpu_queue(declined=0))
    assert status == "deploying"


def test_a_running_task_without_a_health_result_yet_is_deploying_then_running():
    assert deployment_status(_app(tasksRunning=1), None)[0] == "deploying"
    assert deployment_status(_app(tasksRunning=1, tasksHealthy=1), None) == ("running", "")


def test_a_task_failing_its_health_check_is_unhealthy():
    status, reason = deployment_status(_app(tasksRunning=1, tasksUnhealthy=1), None)
    assert status == "unhealthy" and "health check" in reason


def test_a_crash_looping_app_is_failed_with_the_task_message_and_the_next_try():
    failure = {"state": "TASK_FAILED", "message": "Command exited with status 1",
               "timestamp": "2026-11-29T12:00:00Z"}
    queue = {"delay": {"timeLeftSeconds": 42.7, "overdue": False}}
    status, reason = deployment_status(_app(lastTaskFailure=failure, deployments=[{"id": "d"}]),
                                       queue)
    assert status == "failed"
    assert reason == "The last task failed: Command exited with status 1. Next try in 42 s."


def test_a_failed_app_outside_any_deployment_is_failed():
    failure = {"state": "TASK_ERROR", "message": "fractional GPUs"}
    status, reason = deployment_status(_app(lastTaskFailure=failure), None)
    assert (status, reason) == ("failed", "The last task could not start: fractional GPUs.")


def test_an_app_scaled_to_zero_is_being_deleted():
    assert deployment_status(_app(instances=0, tasksRunning=1), None)[0] == "deleting"


def test_endpoints_are_the_load_balancer_and_service_port_per_named_port():
    deployment = deployment_from_app(_app(tasksRunning=1, tasksHealthy=1), lb_host="lb.example.org",
                                     main_ports=MAIN_PORTS)
    assert deployment.endpoints == {"api": "http://lb.example.org:10001",
                                    "monitor": "http://lb.example.org:10002",
                                    "ide": "http://lb.example.org:10003"}
    assert deployment.main_endpoint == "http://lb.example.org:10001"


def test_no_endpoint_before_marathon_assigned_service_ports():
    app = _app(portDefinitions=[{"port": 0, "name": "api"}])
    assert deployment_from_app(app, lb_host="lb").endpoints == {}


def test_virtual_host_labels_become_named_endpoints():
    app = _app(labels={"gateway.service": "jupyter", "HAPROXY_2_VHOST": "ide-x.deep.example.org"})
    deployment = deployment_from_app(app, lb_host="lb", main_ports=MAIN_PORTS,
                                     vhost_scheme="https")
    assert deployment.endpoints["ide"] == "https://ide-x.deep.example.org/"
    assert deployment.endpoints["api"] == "http://lb:10001"
    assert deployment.main_endpoint == "https://ide-x.deep.example.org/"


def test_a_failed_deployment_shows_no_endpoints_and_tasks_report_health():
    failed = deployment_from_app(_app(lastTaskFailure={"state": "TASK_FAILED"}), lb_host="lb")
    assert failed.endpoints == {} and failed.status == "failed"
    task = {"id": "t1", "host": "agent-1", "state": "TASK_RUNNING",
            "startedAt": "2026-11-29T12:00:00.000Z",
            "healthCheckResults": [{"alive": False}]}
    running = deployment_from_app(_app(tasksRunning=1, tasks=[task]), lb_host="lb")
    assert running.tasks[0].healthy is False and running.tasks[0].host == "agent-1"


def test_an_app_an_operator_shrank_below_the_request_bounds_is_still_shown_as_it_is():
    # Marathon apps can be edited outside the gateway; reading one back must not fail.
    deployment = deployment_from_app(_app(cpus=0.05, mem=64.0, disk=0, gpus=0),
                                     lb_host="lb", main_ports=MAIN_PORTS)
    assert (deployment.hardware.cpus, deployment.hardware.memory) == (0.05, 64)
