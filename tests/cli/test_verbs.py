"""The verbs a scientist reaches for, and messages they can act on, against `gateway dev`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from gateway.cli.errors import Exit
from gateway.devissuer import DEMO_GROUP
from tests.support.paths import EXAMPLES

pytestmark = pytest.mark.slow

FAST = ("--interval", "0.2", "--timeout", "60")


def _file(tmp_path: Path, name: str, body: object) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(body) if not isinstance(body, str) else body)
    return str(path)


def test_deploy_and_restart_with_wait_print_the_final_state_as_json(cli):
    code, out, err = cli("deploy", str(EXAMPLES / "service.yaml"), "--wait", *FAST, "-o", "json")
    assert code == Exit.OK, err
    deployment = json.loads(out)
    assert deployment["status"] == "running" and deployment["endpoints"]["api"].startswith("http")
    assert f"waiting for deployment {deployment['id']} to run" in err
    assert f"{deployment['id']} is running (after " in err

    code, out, err = cli("restart", deployment["id"], "--wait", *FAST, "-o", "json")
    assert code == Exit.OK, err
    assert json.loads(out)["status"] == "running" and "to run" in err
    assert cli("delete", deployment["id"])[0] == Exit.OK


def test_modules_are_listed_filtered_and_shown(cli):
    code, out, _ = cli("modules")
    assert code == Exit.OK and out.splitlines()[0].split() == ["NAME", "SERVICES", "MAX", "GPUS",
                                                               "TITLE"]
    everything = json.loads(cli("modules", "-o", "json")[1])["items"]
    gpu = json.loads(cli("modules", "--gpu", "-o", "json")[1])["items"]
    jupyter = json.loads(cli("modules", "--service", "jupyter", "-o", "json")[1])["items"]
    assert gpu == [m for m in everything if m["hardware"]["max"]["gpus"] > 0]
    assert jupyter == [m for m in everything if "jupyter" in m["services"]]
    assert 0 < len(jupyter) < len(everything) or 0 < len(gpu) < len(everything)

    code, out, _ = cli("modules", "image-classification-tf")
    assert code == Exit.OK and "image:" in out and "max:" in out and "deepaas" in out
    code, _, err = cli("modules", "image-clasification-tf")
    assert code == Exit.NOT_FOUND
    assert "Did you mean 'image-classification-tf'?" in err and "`gateway modules`" in err


def test_me_shows_identity_groups_and_quota(cli):
    code, out, _ = cli("me")
    assert code == Exit.OK
    assert "user:" in out and "alice" in out and "groups:" in out and "deep" in out
    assert "admin:   no" in out and "QUOTA" in out and "no limit" in out


def test_an_administrators_all_listing_names_each_owner(cli, dev):
    code, out, err = cli("deploy", str(EXAMPLES / "service.yaml"), "-o", "json")
    assert code == Exit.OK, err
    deployment_id = json.loads(out)["id"]
    code, out, _ = cli("list", "--all", user="admin")
    assert code == Exit.OK and out.splitlines()[0].split()[:3] == ["ID", "OWNER", "STATUS"]
    row = next(line for line in out.splitlines() if line.startswith(deployment_id))
    assert row.split()[1:3] == ["Alice", "Example"]  # the name the token gave, not the key
    assert "OWNER" not in cli("list")[1]
    cli("delete", deployment_id)


def test_logs_of_a_deployment_still_waiting_are_a_conflict_with_what_to_do(cli, tmp_path):
    # The only agent has 8 CPUs: the second of two 8-CPU deployments waits.
    spec = _file(tmp_path, "big.yaml", {"module": "image-classification-tf",
                                        "hardware": {"cpus": 8, "memory": 2048}})
    first = json.loads(cli("deploy", spec, "-o", "json")[1])["id"]
    code, out, _ = cli("deploy", spec, "-o", "json")
    deployment_id = json.loads(out)["id"]
    code, _, err = cli("logs", deployment_id)
    assert code == Exit.CONFLICT, err
    assert "has not started a task yet" in err and "`gateway show` says" in err
    cli("delete", deployment_id)
    cli("delete", first)
    code, _, err = cli("show", deployment_id)
    assert code == Exit.NOT_FOUND and "`gateway list` lists yours" in err

    job = _file(tmp_path, "idle.yaml", {"name": "idle", "image": "deephdc/deep-oc-generic-dev:cpu",
                                        "command": "true", "disabled": True})
    assert cli("jobs", "submit", job)[0] == Exit.OK
    code, _, err = cli("jobs", "logs", "idle")
    assert code == Exit.CONFLICT and "has not run yet" in err and "`gateway jobs show` says" in err
    cli("jobs", "delete", "idle")


def test_a_job_followed_with_wait_prints_its_final_state_as_json(cli, tmp_path):
    job = _file(tmp_path, "quick.yaml", {"name": "quick", "image": "deephdc/deep-oc-generic-dev:cpu",
                                         "command": "true", "hardware": {"cpus": 0.5, "memory": 512}})
    code, out, err = cli("jobs", "submit", job, "--wait", *FAST, "-o", "json")
    assert code == Exit.OK, err
    final = json.loads(out)
    assert final["success_count"] == 1 and final["runs"][0]["state"] == "succeeded"
    assert "waiting for a run of quick to end" in err and "quick succeeded (after " in err
    cli("jobs", "delete", "quick")


def test_refusals_name_the_clis_own_commands_and_flags(cli, tmp_path):
    code, _, err = cli("deploy", _file(tmp_path, "typo.yaml", {"module": "image-clasification-tf",
                                                                 "hardwre": {"cpus": 1}}))
    assert code == Exit.INVALID
    assert "hardwre: is not a field here; did you mean `hardware`?" in err

    code, _, err = cli("deploy", _file(tmp_path, "typo.yaml", {"module": "image-clasification-tf"}))
    assert code == Exit.INVALID and "`gateway modules` lists them" in err and "GET /v1" not in err

    job = {"image": "deephdc/deep-oc-image-classification-tf:cpu", "command": "true",
           "hardware": {"cpus": 0.5, "memory": 512, "gpus": 0}}
    code, _, err = cli("jobs", "submit", _file(tmp_path, "typo.yaml", {
        **job, "name": "typo", "retires": 2}))
    assert code == Exit.INVALID and "retires: is not a field here; did you mean `retries`?" in err
    assert cli("jobs", "submit", _file(tmp_path, "a.yaml", {**job, "name": "parent",
                                                            "disabled": True}))[0] == Exit.OK
    assert cli("jobs", "submit", _file(tmp_path, "b.yaml", {**job, "name": "child",
                                                            "parents": ["parent"]}))[0] == Exit.OK
    code, _, err = cli("jobs", "delete", "parent")
    assert code == Exit.CONFLICT and "--children delete" in err and "children=delete" not in err
    assert cli("jobs", "delete", "parent", "--children", "delete")[0] == Exit.OK


def test_a_yaml_mistake_is_shown_with_its_line_and_reason(cli, tmp_path):
    spec = _file(tmp_path, "broken.yaml", "module: image-classification-tf\nhardware: {cpus: 1\n")
    code, out, err = cli("deploy", spec)
    assert code == Exit.USAGE and out == ""
    assert "is not valid YAML: expected ',' or '}', but got '<stream end>' at line 3, column 1." \
        in err


def test_an_expired_token_says_how_to_get_a_new_one(cli, dev_stack):
    stale = dev_stack.issuer.mint("alice-dev-subject", groups=(DEMO_GROUP,), lifetime=-60)
    code, _, err = cli("me", token=stale)
    assert code == Exit.UNAUTHORIZED
    assert "has expired" in err and "oidc-token" in err and "gateway dev-token alice" in err
