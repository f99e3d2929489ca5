"""Where a process spends its time, from py-spy's raw (collapsed stack) output."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

# Shares of all samples whose stack passes through these (a stack may count in several).
AREAS = {
    "upstream calls (httpx/httpcore)": ("httpx/", "httpcore/"),
    "JSON decoding": ("json/decoder", "json/__init__.py:loads"),
    "token verification (jose)": ("jose/",),
    "routing and dependencies (fastapi)": ("fastapi/routing", "fastapi/dependencies"),
    "pydantic validation and serialisation": ("pydantic",),
    "sync dependencies in worker threads": ("to_thread", "run_sync_in_worker_thread"),
    "file system (module look-ups)": ("_path_stat",),
    "rendering a list from the view": ("rendered (gateway/api/rendered",),
    "logging (records of any line)": ("logging/__init__",),
    "access lines (gateway/access_log, batch)": ("access_log.py", "log_setup.py"),
    "read view (gateway/read_view)": ("read_view/",),
}


def print_profile(raw: Path, top: int = 12) -> None:
    stacks: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    total = sum(stacks.values())
    if not total:
        print(f"\nno samples in {raw}")
        return
    # uvloop's loop is C: waiting in epoll shows as the Python frame that started it.
    idle = sum(n for s, n in stacks.items()
               if _leaf(s).startswith(("select", "poll", "run_forever", "Runner.run")))
    print(f"\nProfile of the gateway under load (py-spy, {total} samples, {raw}):")
    print(f"  {'idle in the event loop':<42} {100 * idle / total:5.1f} %")
    for area, needles in AREAS.items():
        share = sum(n for s, n in stacks.items() if any(k in s for k in needles))
        print(f"  {area:<42} {100 * share / total:5.1f} %")
    leaves: Counter[str] = Counter()
    for stack, count in stacks.items():
        leaves[_leaf(stack)] += count
    print("  busiest functions (self time):")
    for leaf, count in leaves.most_common(top):
        print(f"    {100 * count / total:5.1f} %  {leaf}")


def _leaf(stack: str) -> str:
    return stack.rsplit(";", 1)[-1]
