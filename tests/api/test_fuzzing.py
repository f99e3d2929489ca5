"""Schemathesis against the gateway over the simulated cluster, as two users (dev issuer).

Every check it has, in every phase (examples, coverage, fuzzing, stateful scenarios that follow
the document's links), including object-level authorization between alice and bob: no 5xx,
and every answer conforms to the OpenAPI document (status, content type, schema, headers).
Seeded and bounded, so a CI run is reproducible and takes about a minute.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.devstack import DevStack
from simcluster import SimConfig
from tests.support.background import running
from tests.support.paths import JOB_SPECS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
SEED = 17
MAX_EXAMPLES = 100
USERS = ("alice", "bob")
# Requests the JSON schema allows but the gateway refuses on grounds a schema cannot state (an
# unknown module, a parent job that does not exist, a name already used, a jupyter_password
# with the deepaas service, a quota): 422 and 403 problems, as documented.
SEMANTIC_REFUSALS = ["2xx", "3xx", "401", "403", "404", "409", "422"]


def _config(directory: Path, tokens: dict[str, str]) -> Path:
    wfc = directory / "users.json"
    wfc.write_text(json.dumps({"auth": [
        {"name": user, "fixedHeaders": [{"name": "Authorization",
                                         "value": f"Bearer {tokens[user]}"}]}
        for user in USERS]}))
    wfc.chmod(0o600)
    config = directory / "schemathesis.toml"
    config.write_text(f"""
[auth.wfc]
path = "{wfc}"
peers = {json.dumps(list(USERS))}

# Following a log streams until the task ends, which the fuzzer would wait out until its
# timeout; following is tested with the log routes.
[parameters]
follow = false

[generation]
# The users' real tokens are the credentials; random ones are tried by ignored_auth.
with-security-parameters = false
database = "none"

[checks.positive_data_acceptance]
expected-statuses = {json.dumps(SEMANTIC_REFUSALS)}
""")
    return config


def test_schemathesis_finds_no_failure_in_any_phase_or_check(tmp_path):
    sim = SimConfig(agents=1, agent_gpus=0)
    with running(DevStack(sim_config=sim, job_specs_dir=JOB_SPECS)) as info:
        report = tmp_path / "report.json"
        run = subprocess.run(
            [str(SCHEMATHESIS), "--config-file", str(_config(tmp_path, info.tokens)), "run",
             f"{info.gateway_url}/openapi.json", "--checks", "all", "--seed", str(SEED),
             "--max-examples", str(MAX_EXAMPLES), "--workers", "1", "--no-color",
             "--request-timeout", "20", "--report", "json", "--report-json-path", str(report)],
            capture_output=True, text=True, timeout=900, cwd=tmp_path)
    summary = json.loads(report.read_text())
    scenarios = re.search(r"Scenarios:\s+(\d+)", run.stdout)
    # The figures, for the record (pytest -s shows them).
    print(f"schemathesis {summary['schemathesis_version']}, seed {SEED}: "
          f"{summary['test_cases']['generated']} test cases, "
          f"{scenarios[1] if scenarios else '?'} stateful scenarios, "
          f"failures by check: {[(f['code'], f['count']) for f in summary['failures']] or 'none'}")
    assert summary["complete"] and summary["operations"]["tested"] == summary["operations"]["total"]
    assert all(phase["status"] == "success" for phase in summary["phases"].values()), run.stdout
    assert summary["failures"] == [] and summary["errors"] == [], run.stdout[-20000:]
    assert scenarios is not None and int(scenarios[1]) > 0
