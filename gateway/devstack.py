"""The embedded default: simulated cluster + development token issuer + gateway, in one loop.

Used by ``gateway dev`` and by the end-to-end tests, so both exercise exactly the same wiring.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from gateway.app import create_app
from gateway.config import DEFAULT_JOB_SPECS, Settings
from gateway.devissuer import ADMIN_GROUP, DEMO_GROUP, DevIssuer
from gateway.serving import EmbeddedServer, bind_socket
from simcluster import SimCluster, SimConfig


@dataclass(frozen=True)
class DevInfo:
    gateway_url: str
    marathon_url: str
    chronos_url: str
    mesos_url: str
    issuer_url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        # It holds bearer tokens: never readable by others, not even for a moment.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an existing file keeps its mode through O_CREAT
        with os.fdopen(descriptor, "w") as file:
            file.write(json.dumps(asdict(self), indent=2) + "\n")


class DevStack:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 sim_config: SimConfig | None = None, job_specs_dir: Path = DEFAULT_JOB_SPECS,
                 settings: dict[str, Any] | None = None) -> None:
        self._host = host
        self._port = port
        self._sim_config = sim_config or SimConfig(host=host)
        self._job_specs_dir = job_specs_dir
        self._overrides = settings or {}
        self._servers: list[EmbeddedServer] = []
        self._sim: SimCluster | None = None
        self.issuer: DevIssuer | None = None
        self.info: DevInfo | None = None

    @property
    def sim(self) -> SimCluster:
        """The running simulated cluster (tests and benches reach behind the gateway with it)."""
        if self._sim is None:
            raise RuntimeError("the stack is not running")
        return self._sim

    async def __aenter__(self) -> DevInfo:
        try:
            return await self._start()
        except BaseException:
            await self._stop()
            raise

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self._stop()

    async def _start(self) -> DevInfo:
        self._sim = SimCluster(self._sim_config)
        sim = await self._sim.__aenter__()
        issuer_socket = bind_socket(self._host)
        issuer_url = f"http://{self._host}:{issuer_socket.getsockname()[1]}/"
        self.issuer = DevIssuer(issuer_url)
        issuer_server = EmbeddedServer(self.issuer.asgi_app(), self._host, sock=issuer_socket)
        await self._start_server(issuer_server)
        settings = Settings(**{
            "oidc_issuers": [issuer_url],
            "marathon_url": sim.marathon_url or "",
            "chronos_url": sim.chronos_url or "",
            "mesos_url": sim.mesos_url,
            "lb_host": self._host,
            "required_groups": [DEMO_GROUP],
            "admin_groups": [ADMIN_GROUP],
            "job_specs_dir": self._job_specs_dir,
            "ui_dev_login": True,
            # The simulated Chronos says whether it has the GPU patch; the gateway must agree.
            "chronos_gpus": self._sim_config.chronos_gpus,
            **self._overrides,
        })
        app = create_app(settings, dev_login=self.issuer)
        gateway_server = EmbeddedServer(app, self._host, self._port,
                                        on_draining=app.state.draining.set)
        await self._start_server(gateway_server)
        self.info = DevInfo(gateway_url=gateway_server.url, marathon_url=sim.marathon_url or "",
                            chronos_url=sim.chronos_url or "", mesos_url=sim.mesos_url,
                            issuer_url=issuer_url, tokens=self.issuer.demo_tokens())
        return self.info

    async def _start_server(self, server: EmbeddedServer) -> None:
        self._servers.append(server)
        await server.start()

    async def _stop(self) -> None:
        for server in reversed(self._servers):
            await server.stop()
        self._servers.clear()
        if self._sim is not None:
            await self._sim.__aexit__(None, None, None)
            self._sim = None
