"""Chronos' in-memory task queues (normal and high priority), deduplicated by job name.

An entry stays until its task stages on an agent; while the simulated master holds it pending
(no agent fits) it is "handed over" but the job still counts as queued.
"""

from __future__ import annotations

from dataclasses import dataclass

from simcluster.chronos.tasks import ChronosTaskId


@dataclass
class QueuedTask:
    task_id: ChronosTaskId
    high_priority: bool
    handed_over: bool = False


class TaskQueue:
    def __init__(self) -> None:
        self._entries: dict[str, QueuedTask] = {}

    def __contains__(self, job_name: object) -> bool:
        return job_name in self._entries

    def add(self, task_id: ChronosTaskId, *, high_priority: bool) -> None:
        # A second trigger while the job waits is silently ignored.
        self._entries.setdefault(task_id.job_name, QueuedTask(task_id, high_priority))

    def get(self, job_name: str) -> QueuedTask | None:
        return self._entries.get(job_name)

    def drop(self, job_name: str) -> QueuedTask | None:
        return self._entries.pop(job_name, None)

    def drop_task(self, task_id: str) -> None:
        """The task left the queue (staged or ended) under this id."""
        for name, entry in list(self._entries.items()):
            if str(entry.task_id) == task_id:
                del self._entries[name]

    def waiting(self) -> list[QueuedTask]:
        """Entries not yet handed to the master, high priority first."""
        pending = [entry for entry in self._entries.values() if not entry.handed_over]
        return sorted(pending, key=lambda entry: not entry.high_priority)

    def is_current(self, entry: QueuedTask) -> bool:
        return self._entries.get(entry.task_id.job_name) is entry

    def clear(self) -> None:
        self._entries.clear()
