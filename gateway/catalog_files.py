"""Reading the operator data from ``job_specs/`` (an edge: file I/O), validated by its shapes in
gateway/catalog.py and gateway/translation/job_templates.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from gateway.catalog import ModuleCatalog, ServiceTemplates
from gateway.translation.job_templates import JobTemplates

_DataT = TypeVar("_DataT", bound=BaseModel)


class CatalogError(Exception):
    """A ``job_specs/`` file is missing or invalid; the message names the file and field."""


def load_service_templates(job_specs_dir: Path) -> ServiceTemplates:
    return _load(job_specs_dir / "services.yaml", ServiceTemplates)


def load_module_catalog(job_specs_dir: Path) -> ModuleCatalog:
    return _load(job_specs_dir / "modules.yaml", ModuleCatalog)


def load_job_templates(job_specs_dir: Path) -> JobTemplates:
    """``jobs.yaml``; without it (or empty) every job field keeps its default."""
    return _load(job_specs_dir / "jobs.yaml", JobTemplates, optional=True)


def _load(path: Path, model: type[_DataT], *, optional: bool = False) -> _DataT:
    if optional and not path.exists():
        return model()
    try:
        data = yaml.safe_load(path.read_text())
        return model.model_validate({} if optional and data is None else data)
    except OSError as exc:
        raise CatalogError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CatalogError(f"{path}: {where}: {first['msg']}") from None

