"""The core (translation, models, errors, catalog shapes) does no I/O and imports no framework.

Checked on what importing each core module really loads: no I/O library, and no gateway module
outside the core (e.g. ``catalog_files``, which reads ``job_specs/``, or ``config``, which reads
the environment).
"""

import json
import pkgutil
import subprocess
import sys

import gateway.models
import gateway.translation

IO_LIBRARIES = {"httpx", "kazoo", "jose", "fastapi", "starlette", "uvicorn", "anyio", "yaml"}
CORE_PACKAGES = ("gateway.translation", "gateway.models")
CORE_MODULES = ("gateway.errors", "gateway.identity", "gateway.rclone", "gateway.catalog",
                "gateway.ensemble", "gateway.problem_docs")


def _modules_loaded_by(module: str) -> set[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True).stdout
    return set(json.loads(output))


def _is_core(module: str) -> bool:
    return module in ("gateway", *CORE_MODULES) or any(
        module == package or module.startswith(package + ".") for package in CORE_PACKAGES)


def _core_modules() -> list[str]:
    modules = list(CORE_MODULES)
    for package in (gateway.translation, gateway.models):
        modules += [info.name for info in pkgutil.iter_modules(package.__path__,
                                                               package.__name__ + ".")]
    return modules


def test_the_core_is_the_translation_models_errors_and_catalog_shapes():
    modules = _core_modules()
    assert {"gateway.translation.deployments", "gateway.translation.jobs",
            "gateway.models.schedules", "gateway.catalog"} <= set(modules)


def test_no_core_module_imports_an_io_library():
    for module in _core_modules():
        loaded = {name.split(".")[0] for name in _modules_loaded_by(module)}
        assert not (loaded & IO_LIBRARIES), module


def test_no_core_module_imports_a_gateway_module_outside_the_core():
    for module in _core_modules():
        outside = {name for name in _modules_loaded_by(module)
                   if name.startswith("gateway.") and not _is_core(name)}
        assert not outside, (module, sorted(outside))


def test_the_check_sees_a_module_that_reads_files():
    loaded = _modules_loaded_by("gateway.catalog_files")
    assert "yaml" in {name.split(".")[0] for name in loaded}
    assert not _is_core("gateway.catalog_files")
