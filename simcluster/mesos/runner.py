"""Runs one simulated task: the Mesos command executor's side of the life cycle.

A service task binds a tiny HTTP server on each of its host ports (so health checks and load
balancers reach something real) and logs every request to its sandbox ``stdout``; a batch task
sleeps for its duration and exits. Either writes the executor chatter a real sandbox has.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Callable
from typing import Any, TextIO

from simcluster.clock import SimClock
from simcluster.mesos.behaviour import Behaviour, behaviour_of
from simcluster.mesos.model import Task, TaskState

log = logging.getLogger(__name__)

Emit = Callable[[Task, TaskState, str], None]

# Real launches take a moment; too short and clients never observe STAGING/STARTING.
_STAGE_SECONDS = 0.05
_START_SECONDS = 0.05


class TaskRunner:
    def __init__(
        self,
        task: Task,
        clock: SimClock,
        emit: Emit,
        sockets: dict[int, socket.socket] | None = None,
    ) -> None:
        self.task = task
        self._sockets = sockets or {}
        self._clock = clock
        self._emit = emit
        self._behaviour: Behaviour = behaviour_of(task.spec)
        self._job: asyncio.Task[None] | None = None
        self._servers: list[asyncio.Server] = []
        self._running_since: float | None = None
        self._killing = False

    def start(self) -> None:
        self._job = asyncio.create_task(self._run(), name=f"task {self.task.task_id}")

    def kill(self) -> None:
        """Mesos kill: TASK_KILLING, stop the process, TASK_KILLED."""
        if self._killing or self.task.state.terminal:
            return
        self._killing = True
        if self.task.state is TaskState.RUNNING:
            self._emit(self.task, TaskState.KILLING, "")
        if self._job is not None:
            self._job.cancel()

    def cancel(self) -> None:
        """Shut down with the cluster: stop without reporting anything."""
        self._killing = True
        self._emit = _ignore
        if self._job is not None:
            self._job.cancel()

    async def wait(self) -> None:
        if self._job is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._job

    async def _run(self) -> None:
        task = self.task
        stdout = (task.sandbox / "stdout").open("a", encoding="utf-8", buffering=1)
        stderr = (task.sandbox / "stderr").open("a", encoding="utf-8", buffering=1)
        try:
            await self._life(stdout, stderr)
        except asyncio.CancelledError:
            # Close the listeners before reporting: a terminal update frees the ports, and
            # the master closes their sockets.
            self._close_servers()
            if self._killing:
                stdout.write(f"Received kill for task {task.task_id}\n")
                self._emit(task, TaskState.KILLED, "Command terminated with signal Terminated")
            raise
        except Exception as exc:
            # A simulation bug must still end the task, or its resources stay taken forever.
            log.exception("simulated executor of %s failed", task.task_id)
            self._close_servers()
            self._emit(task, TaskState.FAILED, f"Executor failed: {exc}")
        finally:
            self._close_servers()
            stdout.close()
            stderr.close()

    def _close_servers(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            with contextlib.suppress(OSError, ValueError):
                server.close()

    async def _life(self, stdout: TextIO, stderr: TextIO) -> None:
        task, behaviour = self.task, self._behaviour
        stderr.write(f"I0000 fetcher.cpp] Fetching image '{task.spec.image or 'none'}'\n")
        await asyncio.sleep(_STAGE_SECONDS)
        if behaviour.hang:
            await asyncio.Event().wait()
        if behaviour.fail_launch:
            message = f"Failed to launch container: Failed to fetch image '{task.spec.image}'"
            stderr.write(message + "\n")
            self._emit(task, TaskState.FAILED, message)
            return
        stdout.write("Received SUBSCRIBED event\n")
        stdout.write(f"Subscribed executor on {task.hostname}\n")
        stdout.write("Received LAUNCH event\n")
        stdout.write(f"Starting task {task.task_id}\n")
        self._emit(task, TaskState.STARTING, "")
        await asyncio.sleep(_START_SECONDS)
        if task.spec.kind == "service" and behaviour.listen:
            try:
                for port in task.ports:
                    self._servers.append(await self._listen(port, stdout))
            except OSError as exc:
                message = f"Failed to launch container: {exc}"
                stderr.write(message + "\n")
                self._emit(task, TaskState.FAILED, message)
                return
        command = task.spec.command or " ".join(task.spec.args)
        stdout.write(f"sh -c '{command}'\n")
        stdout.write(f"Forked command at {id(self) % 32768}\n")
        self._running_since = self._clock.now()
        self._emit(task, TaskState.RUNNING, "")
        for port in task.ports:
            stdout.write(f"listening on {task.hostname}:{port}\n")
        if task.spec.kind == "batch":
            await self._clock.sleep(behaviour.duration)
            self._exit(behaviour.exit_code, stdout, stderr)
        elif behaviour.exit_after is not None:
            await self._clock.sleep(behaviour.exit_after)
            self._exit(behaviour.exit_code, stdout, stderr)
        else:
            await asyncio.Event().wait()

    async def _listen(self, port: int, stdout: TextIO) -> asyncio.Server:
        handler = self._http_handler(port, stdout)
        held = self._sockets.get(port)
        if held is not None:
            return await asyncio.start_server(handler, sock=held)
        return await asyncio.start_server(handler, self.task.hostname, port)

    def _exit(self, code: int, stdout: TextIO, stderr: TextIO) -> None:
        task = self.task
        task.exit_code = code
        self._close_servers()
        if code == 0:
            stdout.write(f"Command exited with status 0 (pid: {id(self) % 32768})\n")
            self._emit(task, TaskState.FINISHED, "Command exited with status 0")
        else:
            stderr.write(f"error: process exited with code {code}\n")
            stdout.write(f"Command exited with status {code} (pid: {id(self) % 32768})\n")
            self._emit(task, TaskState.FAILED, f"Command exited with status {code}")

    def _healthy_now(self) -> bool:
        after = self._behaviour.unhealthy_after
        if after is None or self._running_since is None:
            return True
        return self._clock.now() - self._running_since < after

    def _http_handler(
        self, port: int, stdout: TextIO
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                request_line = await asyncio.wait_for(reader.readline(), 5)
                while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                    pass
                parts = request_line.decode("latin-1").split()
                method, path = (parts[0], parts[1]) if len(parts) >= 2 else ("GET", "/")
                healthy = self._healthy_now()
                status = "200 OK" if healthy else "503 Service Unavailable"
                body = json.dumps(
                    {
                        "task": self.task.task_id,
                        "app": self.task.spec.env.get("MARATHON_APP_ID"),
                        "host": self.task.hostname,
                        "port": port,
                        "path": path,
                        "healthy": healthy,
                    }
                ).encode()
                head = (
                    f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
                )
                writer.write(head.encode() + (b"" if method == "HEAD" else body))
                await writer.drain()
                stdout.write(f'127.0.0.1 - "{method} {path} HTTP/1.1" {status[:3]}\n')
            except (TimeoutError, ConnectionError, ValueError):
                pass
            finally:
                writer.close()

        return handle


def _ignore(task: Task, state: TaskState, message: str) -> None:
    del task, state, message
