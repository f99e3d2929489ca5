"""The gateway's Dockerfile: pinned dependencies, non-root, `gateway serve`, a health check.

No image is built here (no Docker engine); these read what the build will use.
"""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.paths import REPO

ROOT = REPO


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_every_runtime_dependency_is_pinned_to_a_version_pyproject_allows():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = _pins()
    for dependency in map(Requirement, dependencies):
        name = canonicalize_name(dependency.name)
        assert name in pins, f"{name} is not in constraints.txt (make constraints)"
        assert dependency.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, pyproject asks {dependency.specifier}")


def test_the_image_runs_gateway_serve_as_a_non_root_user_with_a_health_check():
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile.split("\nFROM ")[-1]

    assert "--constraint constraints.txt" in dockerfile
    assert re.search(r"^USER (?!root)\w+", runtime, re.MULTILINE)
    assert 'ENTRYPOINT ["gateway", "serve"]' in runtime
    assert "/healthz" in runtime.split("HEALTHCHECK", 1)[1].split("\n\n")[0]
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) == 2
    assert "pip" not in runtime


def test_the_build_context_holds_only_what_the_image_needs():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()

    assert ignored[ignored.index("*") + 1:][:5] == ["!pyproject.toml", "!README.md",
                                                    "!constraints.txt", "!gateway/", "!job_specs/"]
