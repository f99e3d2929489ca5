from gateway.upstreams.routes import route_template


def test_ids_in_upstream_paths_become_one_placeholder_and_api_words_stay():
    assert route_template("/v2/apps/gateway/3f9c0e2a/restart") == "/v2/apps/{id}/restart"
    assert route_template("/v2/apps") == "/v2/apps"
    assert route_template("/v1/scheduler/job/gw-abc-train") == "/v1/scheduler/job/{id}"
    assert route_template("/v1/scheduler/task/kill/gw-abc-train") == "/v1/scheduler/task/kill/{id}"
    assert route_template("/files/read?path=/var/lib/mesos/x") == "/files/read"
    assert route_template("/master/state") == "/master/state"


def test_arbitrary_text_never_becomes_a_label_value():
    assert route_template("/v2/apps/DROP TABLE/../etc/passwd") == "/v2/apps/{id}"
