"""In-memory run statistics: summary ``state`` and the ``/job/stat`` histogram.

Both live only in the leader's memory, so a failover resets them (jobs show ``idle`` until
reconciliation, histograms start empty).
"""

from __future__ import annotations

from typing import Any

_PERCENTILES = {
    "75thPercentile": 0.75,
    "95thPercentile": 0.95,
    "98thPercentile": 0.98,
    "99thPercentile": 0.99,
    "median": 0.5,
}


class RunStats:
    def __init__(self) -> None:
        self._durations: dict[str, list[float]] = {}

    def record(self, job_name: str, millis: float) -> None:
        self._durations.setdefault(job_name, []).append(millis)

    def histogram(self, job_name: str) -> dict[str, Any]:
        samples = sorted(self._durations.get(job_name, []))
        out: dict[str, Any] = {key: _quantile(samples, q) for key, q in _PERCENTILES.items()}
        # Chronos reports the median under "mean" (it reads getValue(0.5)).
        out["mean"] = out["median"]
        out["count"] = len(samples)
        return out

    def percentile(self, job_name: str, key: str) -> float | None:
        samples = sorted(self._durations.get(job_name, []))
        if not samples:
            return None
        quantile = 0.5 if key == "mean" else _PERCENTILES[key]
        return _quantile(samples, quantile)

    def job_names(self) -> list[str]:
        return list(self._durations)

    def reset(self) -> None:
        self._durations.clear()


def _quantile(samples: list[float], quantile: float) -> float:
    if not samples:
        return 0.0
    position = quantile * (len(samples) + 1)
    if position < 1:
        return samples[0]
    if position >= len(samples):
        return samples[-1]
    lower = samples[int(position) - 1]
    upper = samples[int(position)]
    return lower + (position - int(position)) * (upper - lower)
