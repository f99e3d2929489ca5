"""The job graph Chronos keeps in memory: which jobs exist, who depends on whom, and the
``/graph`` exports."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from simcluster.chronos.job import Job


def build_graph(jobs: Iterable[Job]) -> dict[str, Job]:
    """``registerJobs``: every schedule-based job, and each dependent job whose parents are all
    in the graph. The others stay persisted but are dropped ("Coudn't find all parents")."""
    pool = {job.name: job for job in jobs}
    graph = {name: job for name, job in pool.items() if not job.is_dependent}
    waiting = {name: job for name, job in pool.items() if job.is_dependent}
    progress = True
    while waiting and progress:
        progress = False
        for name, job in list(waiting.items()):
            if all(parent in graph for parent in job.parents or ()):
                graph[name] = waiting.pop(name)
                progress = True
    return graph


def children_of(graph: dict[str, Job], name: str) -> list[Job]:
    return [job for job in graph.values() if job.parents is not None and name in job.parents]


class DependencyTracker:
    """A child fires once each of its parents has completed since the child last fired."""

    def __init__(self) -> None:
        self._done: dict[str, set[str]] = {}

    def parent_completed(self, graph: dict[str, Job], parent: str) -> list[Job]:
        ready = []
        for child in children_of(graph, parent):
            done = self._done.setdefault(child.name, set())
            done.add(parent)
            if done >= set(child.parents or ()):
                self._done.pop(child.name, None)
                ready.append(child)
        return ready

    def reset(self) -> None:
        self._done.clear()


def graph_csv(graph: dict[str, Job], state_of: Callable[[str], str]) -> str:
    lines = [f"node,{job.name},{job.last_status},{state_of(job.name)}" for job in graph.values()]
    for job in graph.values():
        lines.extend(f"link,{parent},{job.name}" for parent in job.parents or ())
    return "".join(line + "\n" for line in lines)


def graph_dot(graph: dict[str, Job]) -> str:
    ids = {name: index + 1 for index, name in enumerate(graph)}
    lines = ["digraph G {"]
    lines.extend(f'  {ids[name]} [ label="{name}" ];' for name in graph)
    for job in graph.values():
        lines.extend(f"  {ids[parent]} -> {ids[job.name]};" for parent in job.parents or ())
    lines.append("}")
    return "\n".join(lines) + "\n"
