"""The read path side by side, in one run on loopback. Prints figures; it is not a test.

    make bench                       (installs wrk, apache2, mod_auth_openidc; then this)
    .venv/bin/python -m bench.read_path [--duration 10] [--connections 32] [--profile DIR]

Each server runs in its own process: the simulated cluster (``python -m simcluster``),
``gateway serve`` against it, a bare uvicorn endpoint answering the very bytes of the gateway's
list, and Apache + mod_auth_openidc (RS256 checked per request) in front of the simulated
Marathon. The development token issuer runs in this process. wrk drives each with one thread.

1. The same list (alice's 10 deployments) through each path.
2. The gateway's list as other users' apps in Marathon grow to 1,000 and 10,000, with the
   gateway's resident memory.
3. How long a change made directly in Marathon takes to show in the gateway's list.

``--profile DIR`` also samples the gateway with py-spy during its run of (1) and prints where
its time goes (py-spy must be installed: ``.venv/bin/pip install py-spy``).
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.apache_conf import apache_config
from bench.processes import (
    Child,
    Load,
    python,
    resident_mib,
    wrk,
    wrk_side_by_side,
)
from bench.profile import print_profile
from gateway.devissuer import DevIssuer
from gateway.read_view.table import AppTable
from gateway.read_view.trim import trimmed_app
from gateway.serving import EmbeddedServer
from tests.support.background import BackgroundLoop
from tests.support.gateway_stack import fast_health_checks
from tests.support.ports import free_port

OWN_DEPLOYMENTS = 10
OTHER_APPS = (10, 1_000, 10_000)


@contextmanager
def issuer_running() -> Iterator[DevIssuer]:
    loop = BackgroundLoop()
    port = free_port()
    issuer = DevIssuer(f"http://127.0.0.1:{port}/")
    server = EmbeddedServer(issuer.asgi_app(), "127.0.0.1", port)
    loop.run(server.start())
    try:
        yield issuer
    finally:
        loop.run(server.stop())
        loop.close()


def other_app(owner: str) -> dict[str, Any]:
    """An app of another user as the gateway would make it, without instances: the simulated
    Marathon checks every app against every task ten times a second, which ten thousand
    running tasks would turn into the bench's bottleneck (see view_memory for their weight),
    and without ports: Marathon's 10,000 service ports would not go round."""
    deployment = secrets.token_hex(12)
    return {"id": f"/gateway/{deployment}", "cmd": "sleep 100000", "cpus": 0.5, "mem": 2048,
            "disk": 0, "instances": 0, "portDefinitions": [],
            "container": {"type": "MESOS", "docker": {"image": "deephdc/deep-oc-other:cpu"}},
            "labels": {"gateway.kind": "deployment", "gateway.owner": owner,
                       "gateway.deployment": deployment, "gateway.service": "deepaas",
                       "HAPROXY_GROUP": "external"}}


def add_other_apps(marathon_url: str, count: int, start: int) -> None:
    with httpx.Client(base_url=marathon_url, timeout=60) as marathon:
        def create(index: int) -> None:
            answer = marathon.post("/v2/apps", json=other_app(f"other{index % 500:05d}"))
            answer.raise_for_status()

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(create, range(start, start + count)))


def wait_settled(gateway: httpx.Client, token: str, marathon: httpx.Client, expected: int,
                 timeout: float = 600) -> None:
    """Until the view is live, holds every app, and alice's list stops changing (a gateway
    without a read view, run with --gateway-src: until the list stops changing)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        view = gateway.get("/readyz").json().get("read_view", {"state": "live", "apps": expected})
        body = gateway.get("/v1/deployments", headers=_bearer(token)).content
        if view.get("state") == "live" and view.get("apps") == expected and body == last:
            return
        last = body
        time.sleep(1.0)
    raise TimeoutError(f"the gateway did not settle at {expected} apps")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def change_visible(gateway: httpx.Client, token: str, marathon: httpx.Client,
                   app_id: str, rounds: int = 5) -> list[float]:
    """Seconds from a label edit answered by Marathon to the edit in the gateway's list."""
    seconds = []
    for round_ in range(rounds):
        labels = marathon.get(f"/v2/apps{app_id}").json()["app"]["labels"]
        text = f"edited in Marathon, round {round_}"
        labels["gateway.description"] = text
        marathon.put(f"/v2/apps{app_id}", params={"force": "true"},
                     json={"labels": labels}).raise_for_status()
        edited = time.perf_counter()
        while text not in gateway.get("/v1/deployments", headers=_bearer(token)).text:
            if time.perf_counter() - edited > 30:
                raise TimeoutError("the change never showed")
            time.sleep(0.002)
        seconds.append(time.perf_counter() - edited)
        time.sleep(1.0)
    return seconds


def view_memory(marathon: httpx.Client, app_id: str, copies: int = 10_000) -> float:
    """KiB the read view holds per app with one running task, measured on copies of one of
    alice's apps as Marathon returns it (tracemalloc, in this process)."""
    app = marathon.get(f"/v2/apps{app_id}").json()["app"]
    table = AppTable()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for index in range(copies):
        copy = json.loads(json.dumps(app))  # as each would be parsed from Marathon's answer
        copy["id"] = f"/gateway/{index:024x}"
        for task in copy.get("tasks") or []:
            task["id"] = f"{task['id']}-{index}"
        table.put(trimmed_app(copy), table.ticket())
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / copies / 1024


def row(name: str, load: Load) -> str:
    errors = f"  ({load.errors})" if load.errors else ""
    return (f"  {name:<58} {load.requests_per_second:>9,.0f} {load.p50_ms:>8.2f} "
            f"{load.p99_ms:>8.2f} {load.cpu_us:>9.1f}{errors}")


def main(args: argparse.Namespace) -> None:
    for tool in ("wrk", "apache2"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is missing: run `make bench`, which installs it")
    with tempfile.TemporaryDirectory(prefix="bench-read-") as tmp, ExitStack() as stack, \
            issuer_running() as issuer:
        root = Path(tmp)
        tokens = issuer.demo_tokens()
        token = tokens["alice"]
        sim = Child("sim", python("simcluster", "--agents", "4", "--agent-cpus", "100000",
                                  "--agent-mem", "100000000", "--agent-disk", "100000000",
                                  "--agent-gpus", "0"), root)
        stack.callback(sim.stop)
        urls = sim.first_json()
        marathon_url = str(urls["marathon"][0])  # type: ignore[index]
        gateway_port = free_port()
        gateway = Child("gateway", python("gateway", "serve", "--port", str(gateway_port),
                                          "--log-level", args.gateway_log_level), root, env={
            "GATEWAY_OIDC_ISSUERS": issuer.issuer, "GATEWAY_MARATHON_URL": marathon_url,
            "GATEWAY_CHRONOS_URL": str(urls["chronos"][0]),  # type: ignore[index]
            "GATEWAY_MESOS_URL": str(urls["mesos"]), "GATEWAY_LB_HOST": "127.0.0.1",
            "GATEWAY_JOB_SPECS_DIR": str(fast_health_checks(root))},
            # `python -m` imports from its working directory first.
            cwd=args.gateway_src)
        stack.callback(gateway.stop)
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        gateway.wait_http(f"{gateway_url}/readyz", expect=200)
        api = stack.enter_context(httpx.Client(base_url=gateway_url, timeout=60))
        marathon = stack.enter_context(httpx.Client(base_url=marathon_url, timeout=60))

        owner = api.get("/v1/me", headers=_bearer(token)).json()["owner"]
        own_ids = []
        for _ in range(OWN_DEPLOYMENTS):
            created = api.post("/v1/deployments", headers=_bearer(token), json={
                "image": "deephdc/deep-oc-image-classification-tf:cpu",
                "hardware": {"cpus": 0.01, "memory": 128, "disk": 0, "gpus": 0}})
            created.raise_for_status()
            own_ids.append(created.json()["id"])
        steps = [int(n) for n in args.others.split(",")]
        add_other_apps(marathon_url, steps[0], 0)
        wait_settled(api, token, marathon, OWN_DEPLOYMENTS + steps[0])
        body = api.get("/v1/deployments", headers=_bearer(token)).content
        (root / "body.json").write_bytes(body)

        bare_port = free_port()
        bare = Child("bare", python("bench.bare_endpoint", str(bare_port),
                                    str(root / "body.json")), root)
        stack.callback(bare.stop)
        bare.wait_http(f"http://127.0.0.1:{bare_port}/")
        apache_port = free_port()
        conf = apache_config(root, port=apache_port, jwk=issuer.public_jwk,
                             marathon_url=marathon_url)
        apache = Child("apache", ["apache2", "-f", str(conf), "-DFOREGROUND"], root)
        stack.callback(apache.stop)
        selector = f"gateway.owner=={owner},gateway.kind==deployment"
        upstream_query = f"/v2/apps?label={selector}&embed=apps.tasks&embed=apps.lastTaskFailure"
        apache.wait_http(f"http://127.0.0.1:{apache_port}/v2/apps", expect=401)

        run: dict[str, Any] = {"token": token, "duration": args.duration,
                               "connections": args.connections, "runs": args.runs}
        etag = api.get("/v1/deployments", headers=_bearer(token)).headers["etag"]
        print(f"\n1. The same list ({OWN_DEPLOYMENTS} deployments of one user, {len(body)} bytes); "
              f"wrk -t1 -c{args.connections} -d{args.duration:g}s, the paths taking turns, "
              f"best of {args.runs}")
        print(f"  {'path':<58} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/req':>9}")
        loads = wrk_side_by_side({
            "bare uvicorn endpoint, same bytes (ceiling)":
                (f"http://127.0.0.1:{bare_port}/v1/deployments", bare.pid, ()),
            "Apache + mod_auth_openidc (RS256) -> sim Marathon":
                (f"http://127.0.0.1:{apache_port}{upstream_query}", apache.pid, ()),
            "the simulated Marathon alone, the same query":
                (f"{marathon_url}{upstream_query}", sim.pid, ()),
            "the gateway, GET /v1/deployments":
                (f"{gateway_url}/v1/deployments", gateway.pid, ()),
            "the gateway, the same with If-None-Match (304)":
                (f"{gateway_url}/v1/deployments", gateway.pid, (f"If-None-Match: {etag}",)),
        }, **run)
        for name, load in loads.items():
            print(row(name, load))
        ceiling, listed, unchanged = (loads[name] for name in (
            "bare uvicorn endpoint, same bytes (ceiling)", "the gateway, GET /v1/deployments",
            "the gateway, the same with If-None-Match (304)"))
        top = ceiling.requests_per_second
        print(f"  the gateway's list: {listed.requests_per_second / top:.0%} of the ceiling's "
              f"throughput ({unchanged.requests_per_second / top:.0%} with 304s); CPU per "
              f"request {listed.cpu_us / ceiling.cpu_us:.1f}x the ceiling's", flush=True)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            py_spy = str(Path(sys.executable).parent / "py-spy")
            profiler = subprocess.Popen(
                [py_spy, "record", "--pid", str(gateway.pid), "--rate", "250",
                 "--duration", str(int(args.duration)), "--format", "raw", "--nonblocking",
                 "--output", str(args.profile / "gateway.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wrk(f"{gateway_url}/v1/deployments", token=token, duration=args.duration,
                connections=args.connections)
            profiler.wait(60)

        print(f"\n2. The gateway's list as other users' apps grow (same user, {OWN_DEPLOYMENTS} "
              "deployments)")
        print(f"  {'apps of other users in Marathon':<58} {'req/s':>9} {'p50 ms':>8} "
              f"{'p99 ms':>8} {'CPU us/req':>9} {'RSS MiB':>8}")
        made = steps[0]
        for others in steps:
            if others > made:
                add_other_apps(marathon_url, others - made, made)
                made = others
                wait_settled(api, token, marathon, OWN_DEPLOYMENTS + others)
            load = wrk(f"{gateway_url}/v1/deployments", **run, server=gateway.pid)
            print(row(f"{others:,}", load) + f" {resident_mib(gateway.pid):>8.1f}", flush=True)

        seconds = change_visible(api, token, marathon, f"/gateway/{own_ids[0]}")
        print(f"  (other users' apps have no instances here; the view holds "
              f"{view_memory(marathon, f'/gateway/{own_ids[0]}'):.1f} KiB per app with one "
              "running task, so 10,000 such apps would add about that times 10,000)")
        print(f"\n3. A label edited directly in Marathon, until the gateway's list shows it "
              f"({made:,} other apps): median {statistics.median(seconds) * 1000:.0f} ms, "
              f"max {max(seconds) * 1000:.0f} ms over {len(seconds)} edits")
        if args.profile:
            print_profile(args.profile / "gateway.txt")


if __name__ == "__main__":
    # SIGTERM ends the run like Ctrl-C: the servers it started are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--runs", type=int, default=2, help="wrk runs per figure; the best")
    parser.add_argument("--gateway-log-level", default="info",
                        help="info: with the access log, as in production")
    parser.add_argument("--others", default=",".join(map(str, OTHER_APPS)),
                        help="comma separated: apps of other users to measure at")
    parser.add_argument("--gateway-src", type=Path,
                        help="run the gateway from another checkout (e.g. main, for a before/after)")
    parser.add_argument("--profile", type=Path, help="sample the gateway with py-spy into DIR")
    main(parser.parse_args())
