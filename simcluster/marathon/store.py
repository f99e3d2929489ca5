"""Where a Marathon keeps its apps and framework id: memory, or ZooKeeper ``<zk>/state``.

The serialization is our own JSON (real Marathon writes protobufs), but the place and the
promise are the same: a newly elected leader reads everything its predecessor wrote.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from typing import Any, Protocol

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError

AppRecord = dict[str, Any]  # {"app": normalised app, "history": {version: app, oldest first}}


class StateBackend(Protocol):
    async def load_apps(self) -> dict[str, AppRecord]: ...
    async def save_app(self, app_id: str, record: AppRecord) -> None: ...
    async def delete_app(self, app_id: str) -> None: ...
    async def load_framework_id(self) -> str | None: ...
    async def save_framework_id(self, framework_id: str) -> None: ...
    async def load_deployments(self) -> list[dict[str, Any]]: ...
    async def save_deployment(self, deployment_id: str, plan: dict[str, Any]) -> None: ...
    async def delete_deployment(self, deployment_id: str) -> None: ...


class MemoryBackend:
    def __init__(self) -> None:
        self._apps: dict[str, str] = {}
        self._framework_id: str | None = None
        self._deployments: dict[str, str] = {}

    async def load_apps(self) -> dict[str, AppRecord]:
        return {k: json.loads(v) for k, v in self._apps.items()}

    async def save_app(self, app_id: str, record: AppRecord) -> None:
        self._apps[app_id] = json.dumps(record)

    async def delete_app(self, app_id: str) -> None:
        self._apps.pop(app_id, None)

    async def load_framework_id(self) -> str | None:
        return self._framework_id

    async def save_framework_id(self, framework_id: str) -> None:
        self._framework_id = framework_id

    async def load_deployments(self) -> list[dict[str, Any]]:
        return [json.loads(v) for v in self._deployments.values()]

    async def save_deployment(self, deployment_id: str, plan: dict[str, Any]) -> None:
        self._deployments[deployment_id] = json.dumps(plan)

    async def delete_deployment(self, deployment_id: str) -> None:
        self._deployments.pop(deployment_id, None)


class ZooKeeperBackend:
    """Apps under ``<root>/apps/<url-quoted id>``, the framework id at ``<root>/framework-id``.
    kazoo blocks, so every call runs in a worker thread."""

    def __init__(self, zk: KazooClient, root: str) -> None:
        self._zk = zk
        self._root = root.rstrip("/")

    def _app_path(self, app_id: str) -> str:
        return f"{self._root}/apps/{urllib.parse.quote(app_id, safe='')}"

    async def load_apps(self) -> dict[str, AppRecord]:
        def read() -> dict[str, AppRecord]:
            base = f"{self._root}/apps"
            self._zk.ensure_path(base)
            out: dict[str, AppRecord] = {}
            for child in self._zk.get_children(base):
                try:
                    data, _ = self._zk.get(f"{base}/{child}")
                except NoNodeError:
                    continue
                out[urllib.parse.unquote(child)] = json.loads(data)
            return out

        return await asyncio.to_thread(read)

    async def save_app(self, app_id: str, record: AppRecord) -> None:
        data = json.dumps(record).encode()

        def write() -> None:
            path = self._app_path(app_id)
            if self._zk.exists(path):
                self._zk.set(path, data)
            else:
                self._zk.create(path, data, makepath=True)

        await asyncio.to_thread(write)

    async def delete_app(self, app_id: str) -> None:
        def remove() -> None:
            try:
                self._zk.delete(self._app_path(app_id))
            except NoNodeError:
                pass

        await asyncio.to_thread(remove)

    async def load_framework_id(self) -> str | None:
        def read() -> str | None:
            try:
                data, _ = self._zk.get(f"{self._root}/framework-id")
            except NoNodeError:
                return None
            return bytes(data).decode() or None

        return await asyncio.to_thread(read)

    async def save_framework_id(self, framework_id: str) -> None:
        def write() -> None:
            path = f"{self._root}/framework-id"
            if self._zk.exists(path):
                self._zk.set(path, framework_id.encode())
            else:
                self._zk.create(path, framework_id.encode(), makepath=True)

        await asyncio.to_thread(write)

    async def load_deployments(self) -> list[dict[str, Any]]:
        def read() -> list[dict[str, Any]]:
            base = f"{self._root}/deployments"
            self._zk.ensure_path(base)
            out = []
            for child in self._zk.get_children(base):
                try:
                    data, _ = self._zk.get(f"{base}/{child}")
                except NoNodeError:
                    continue
                out.append(json.loads(data))
            return out

        return await asyncio.to_thread(read)

    async def save_deployment(self, deployment_id: str, plan: dict[str, Any]) -> None:
        data = json.dumps(plan).encode()
        path = f"{self._root}/deployments/{deployment_id}"

        def write() -> None:
            if self._zk.exists(path):
                self._zk.set(path, data)
            else:
                self._zk.create(path, data, makepath=True)

        await asyncio.to_thread(write)

    async def delete_deployment(self, deployment_id: str) -> None:
        def remove() -> None:
            try:
                self._zk.delete(f"{self._root}/deployments/{deployment_id}")
            except NoNodeError:
                pass

        await asyncio.to_thread(remove)
