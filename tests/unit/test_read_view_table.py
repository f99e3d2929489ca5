"""The read view's memory: late answers never undo newer ones; versions move only on change."""

from __future__ import annotations

from gateway.read_view.table import AppTable
from gateway.read_view.trim import trimmed_app


def app(app_id: str, owner: str = "alice", **fields: object) -> dict:
    return {"id": app_id, "labels": {"gateway.owner": owner, "gateway.kind": "deployment"},
            "tasksRunning": 1, **fields}


def test_an_answer_read_before_a_newer_one_does_not_replace_it():
    table = AppTable()
    older, newer = table.ticket(), table.ticket()
    table.put(app("/gateway/a", cpus=2), newer)
    assert table.put(app("/gateway/a", cpus=1), older) is False
    assert table.get("/gateway/a")[0]["cpus"] == 2


def test_an_app_found_gone_is_not_brought_back_by_an_older_read():
    table = AppTable()
    before = table.ticket()
    table.put(app("/gateway/a"), table.ticket())
    table.remove("/gateway/a", table.ticket())
    assert table.put(app("/gateway/a"), before) is False
    assert table.get("/gateway/a") is None


def test_a_full_read_drops_what_it_does_not_list_but_keeps_what_was_read_after_it():
    table = AppTable()
    table.put(app("/gateway/old"), table.ticket())
    full = table.ticket()
    table.put(app("/gateway/new"), table.ticket())  # created while the full read was under way
    table.replace_all([app("/gateway/listed")], full)
    assert {a["id"] for a, _ in table.apps_of(None)} == {"/gateway/listed", "/gateway/new"}


def test_an_owners_version_moves_only_when_their_apps_or_queue_entries_change():
    table = AppTable()
    table.put(app("/gateway/a", "alice"), table.ticket())
    table.put(app("/gateway/b", "bob"), table.ticket())
    alice, bob = table.owner_version("alice"), table.owner_version("bob")

    table.put(app("/gateway/a", "alice"), table.ticket())  # the same data read again
    assert table.owner_version("alice") == alice

    table.put(app("/gateway/b", "bob", cpus=4), table.ticket())
    assert (table.owner_version("alice"), table.owner_version("bob") > bob) == (alice, True)

    table.set_queue({"/gateway/a": {"app": {"id": "/gateway/a"}, "delay": {}}}, table.ticket())
    assert table.owner_version("alice") > alice
    assert [entry for _, entry in table.apps_of("alice")] == [
        {"app": {"id": "/gateway/a"}, "delay": {}}]


def test_an_app_whose_owner_label_changes_moves_to_the_new_owners_list():
    table = AppTable()
    table.put(app("/gateway/a", "alice"), table.ticket())
    table.put(app("/gateway/a", "bob"), table.ticket())
    assert table.apps_of("alice") == []
    assert [a["id"] for a, _ in table.apps_of("bob")] == ["/gateway/a"]


def test_what_is_kept_of_an_app_leaves_out_its_environment_and_command():
    kept = trimmed_app({
        **app("/gateway/a"), "env": {"RCLONE_CONFIG_RSHARE_PASS": "obscured"}, "cmd": "serve",
        "container": {"type": "MESOS", "docker": {"image": "deephdc/x:cpu"}},
        "portDefinitions": [{"port": 10000, "name": "api", "protocol": "tcp"}],
        "tasks": [{"id": "t1", "state": "TASK_RUNNING", "ports": [31000],
                   "healthCheckResults": [{"alive": True, "consecutiveFailures": 0}]}]})
    assert "env" not in kept and "cmd" not in kept
    assert kept["container"] == {"docker": {"image": "deephdc/x:cpu"}}
    assert kept["portDefinitions"] == [{"port": 10000, "name": "api"}]
    assert kept["tasks"] == [{"id": "t1", "state": "TASK_RUNNING",
                              "healthCheckResults": [{"alive": True}]}]
