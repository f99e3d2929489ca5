"""The deploy/apache/ virtual host, rendered for a test under a minimal ServerRoot.

The template uses ``${NAME}`` for what operators fill in; rendering replaces exactly those, as
envsubst does, and refuses to leave one unset. Apache loads only the Debian modules listed in
``deploy/apache/modules``, as the deploy image enables them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from tests.support.paths import REPO

ROOT = REPO
APACHE_DIR = ROOT / "deploy" / "apache"
TEMPLATE = APACHE_DIR / "gateway.conf"
MODULES_DIR = Path("/usr/lib/apache2/modules")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def apache2ctl() -> str | None:
    return shutil.which("apache2ctl") or (
        "/usr/sbin/apache2ctl" if Path("/usr/sbin/apache2ctl").exists() else None)


def template_variables(text: str | None = None) -> set[str]:
    return set(_VARIABLE.findall(TEMPLATE.read_text() if text is None else text))


def render(values: Mapping[str, str], text: str | None = None) -> str:
    text = TEMPLATE.read_text() if text is None else text
    missing = template_variables(text) - set(values)
    if missing:
        raise KeyError(f"no value for {sorted(missing)}")
    return _VARIABLE.sub(lambda match: values[match.group(1)], text)


def modules() -> list[str]:
    return [line.strip() for line in (APACHE_DIR / "modules").read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def server_config(server_root: Path, site: Path, listen: list[int]) -> str:
    """A whole httpd.conf: what Debian's apache2.conf would give, reduced to what the site needs."""
    loads = "\n".join(f"LoadModule {name}_module {MODULES_DIR}/mod_{name}.so" for name in modules())
    ports = "\n".join(f"Listen 127.0.0.1:{port}" for port in listen)
    return f"""ServerRoot "{server_root}"
PidFile "{server_root}/apache2.pid"
DefaultRuntimeDir "{server_root}"
ErrorLog "{server_root}/error.log"
LogLevel warn
ServerName 127.0.0.1
{loads}
TypesConfig /etc/mime.types
SSLSessionCache "shmcb:{server_root}/ssl_scache(512000)"
Mutex file:{server_root} default
{ports}
Include "{site}"
"""
