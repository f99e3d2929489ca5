"""What one JSON access line costs a request. Prints figures; not a test.

    .venv/bin/python -m bench.log_overhead [--requests 3000] [--rounds 7]

Drives GET /healthz of one app in process (httpx's ASGI transport, no network), once with the
gateway's log lines dropped (level WARNING) and once with `gateway serve`'s JSON lines written
(to an in-memory stream). The difference per request is the cost of the access line: request id,
python-json-logger formatting and the write. Median microseconds per request over interleaved rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import statistics
import time
from pathlib import Path

import httpx

from gateway.app import create_app
from gateway.config import Settings
from gateway.log_setup import configure_logging

JOB_SPECS = Path(__file__).parents[1] / "job_specs"


async def _round(requests: int) -> float:
    settings = Settings(oidc_issuers=["https://iam.example.org/"], job_specs_dir=JOB_SPECS,
                        marathon_url="http://127.0.0.1:9", chronos_url="",
                        mesos_url="http://127.0.0.1:9")
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        started = time.perf_counter()
        for _ in range(requests):
            await client.get("/healthz")
        return (time.perf_counter() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {"no access line": [], "JSON access line": []}
    written = 0
    # Interleaved rounds, so a busy neighbour slows both kinds alike.
    for _ in range(args.rounds):
        for label, level in (("no access line", "WARNING"), ("JSON access line", "INFO")):
            sink = io.StringIO()
            configure_logging("json", level, stream=sink)
            samples[label].append(asyncio.run(_round(args.requests)))
            written += sink.getvalue().count("\n")
    figures = {label: statistics.median(values) for label, values in samples.items()}
    for label, figure in figures.items():
        print(f"{label:>18}: {figure:7.1f} us per request (median of {args.rounds} rounds)")
    print(f"{'lines written':>18}: {written}")
    logging.shutdown()
    print(f"{'cost of the line':>18}: {figures['JSON access line'] - figures['no access line']:7.1f} us")


if __name__ == "__main__":
    main()
