"""The core (translation, models, errors, config) does no I/O and imports no framework."""

import json
import pkgutil
import subprocess
import sys

IO_LIBRARIES = {"httpx", "kazoo", "jose", "fastapi", "starlette", "uvicorn", "anyio"}


def _modules_loaded_by(module: str) -> set[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True).stdout
    return {name.split(".")[0] for name in json.loads(output)}


def test_no_translation_module_imports_an_io_library():
    import gateway.specs

    modules = [info.name for info in pkgutil.iter_modules(gateway.specs.__path__, "gateway.specs.")]
    assert "gateway.specs.deployments" in modules
    for module in modules:
        assert not (_modules_loaded_by(module) & IO_LIBRARIES), module


def test_models_errors_and_identity_import_no_io_library():
    for module in ("gateway.models", "gateway.errors", "gateway.identity", "gateway.rclone",
                   "gateway.catalog"):
        assert not (_modules_loaded_by(module) & IO_LIBRARIES), module
