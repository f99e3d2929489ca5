"""The README's walkthroughs run as written against `gateway dev`, so they cannot drift from the
product: each block marked `<!-- walkthrough: NAME ... -->` runs in bash (stopping at the first
failing command) in a directory laid out like a checkout after `make dev`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import REPO
from tests.support.ports import free_port

pytestmark = pytest.mark.slow

_BLOCK = re.compile(r"<!-- walkthrough: (?P<name>[\w-]+)[^>]*-->\s*```sh\n(?P<code>.*?)```", re.S)


def walkthroughs() -> dict[str, str]:
    return {m["name"]: m["code"] for m in _BLOCK.finditer((REPO / "README.md").read_text())}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory like the repository after `make dev ARGS="--info-file dev-info.json"`."""
    here = tmp_path_factory.mktemp("checkout")
    (here / "job_specs").symlink_to(REPO / "job_specs")
    venv = Path(sys.executable).parent.parent
    assert (venv / "bin" / "gateway").exists(), "the package must be installed (pip install -e .)"
    (here / ".venv").symlink_to(venv)
    # The README's `make dev` listens on 8000; only the port differs here.
    process = subprocess.Popen(
        [str(venv / "bin" / "gateway"), "dev", "--port", str(free_port()),
         "--info-file", "dev-info.json"],
        cwd=here, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (here / "dev-info.json").exists() and process.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (here / "dev-info.json").exists(), "gateway dev did not start"
        yield here
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _run(checkout: Path, name: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GATEWAY_", "OIDC_"))}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthroughs()[name]], cwd=checkout,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{name} walkthrough failed:\n{done.stdout}\n{done.stderr}"
    return done


def test_the_readme_marks_its_walkthroughs():
    assert set(walkthroughs()) == {"curl", "cli"}
    for block in walkthroughs().values():
        # Example output in comments may show ids; the commands read them from earlier output.
        code = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("#"))
        assert "127.0.0.1" not in code and not re.search(r"\b[0-9a-f]{24}\b", code)


def test_the_curl_walkthrough_runs_as_written(checkout):
    out = _run(checkout, "curl").stdout.splitlines()
    assert '"image-classification-tf"' in out
    states = [json.loads(line) for line in out if line.startswith('{"id"')]
    assert states and all(s["status"] in ("waiting", "deploying", "running") for s in states)
    assert "status_reason" in states[0]
    expected_errors = re.search(r"\n# (\[\{\"field\".*)\n", walkthroughs()["curl"])
    assert expected_errors and expected_errors[1] in out, "the README shows the problem it gets"
    assert out[-1] == "204"


def test_the_cli_walkthrough_runs_as_written(checkout):
    done = _run(checkout, "cli")
    assert "is running (after" in done.stderr and "prepare-data succeeded" in done.stderr
    assert "deleted train-nightly and 1 dependent job(s)" in done.stdout
    assert done.stdout.rstrip().endswith("deleted prepare-data")
