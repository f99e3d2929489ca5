"""The ``gateway`` command: ``serve`` (production), ``dev`` (embedded default), ``sim``, and the
client verbs (``verbs.py``)."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
import sys
from pathlib import Path

import argcomplete
from pydantic import ValidationError

EXIT_OK, EXIT_USAGE, EXIT_CONFIG = 0, 2, 3

DESCRIPTION = """\
An OpenID Connect protected gateway to Marathon, Chronos and Mesos: run the server (serve),
the whole stack for development (dev), or use a gateway from a terminal or a script."""

EPILOG = """\
Client verbs talk to $GATEWAY_URL (or --url) with the token from --token, $OIDC_ACCESS_TOKEN or
`oidc-token $OIDC_AGENT_ACCOUNT`. Tab completion: eval "$(register-python-argcomplete gateway)".
"gateway VERB --help" describes each verb; the README lists the exit codes."""


def _config_error(exc: ValidationError) -> int:
    print("gateway: invalid configuration:", file=sys.stderr)
    for error in exc.errors():
        name = "GATEWAY_" + "_".join(str(p) for p in error["loc"]).upper()
        print(f"  {name}: {error['msg']}", file=sys.stderr)
    return EXIT_CONFIG


def print_settings_help() -> None:
    from gateway.config import Settings

    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = ",".join(map(str, default)) if isinstance(default, list) else default
        print(f"GATEWAY_{name.upper()}  (default: {shown!s})\n    {field.description}")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_app
    from gateway.catalog_files import (
        CatalogError,
        load_job_templates,
        load_module_catalog,
        load_service_templates,
    )
    from gateway.config import Settings
    from gateway.log_setup import configure_logging, lean_logging
    from gateway.serving import DrainingServer

    if args.help_config:
        print_settings_help()
        return EXIT_OK

    try:
        settings = Settings()
    except ValidationError as exc:
        return _config_error(exc)
    if settings.ui_dev_login:
        print("gateway: GATEWAY_UI_DEV_LOGIN is for `gateway dev` only; `gateway serve` signs users "
              "in through the proxy in front (see deploy/apache/).", file=sys.stderr)
        return EXIT_CONFIG
    if not settings.oidc_issuers:
        print("gateway: GATEWAY_OIDC_ISSUERS is empty, so no token could ever be accepted.",
              file=sys.stderr)
        return EXIT_CONFIG
    try:
        # What the app loads at start, read once here so a mistake is a sentence, not a traceback.
        for load in (load_service_templates, load_module_catalog, load_job_templates):
            load(settings.job_specs_dir)
    except CatalogError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_format, args.log_level, batched=True)
    lean_logging()
    app = create_app(settings)
    # uvicorn's own access log would print query strings; the gateway writes one access line
    # per request itself (gateway.access, path only, with the request id).
    config = uvicorn.Config(app, host=args.host, port=args.port, proxy_headers=True,
                            forwarded_allow_ips=args.forwarded_allow_ips, log_config=None,
                            log_level=args.log_level, access_log=False,
                            timeout_graceful_shutdown=args.shutdown_timeout,
                            # uvicorn[standard] by name, not "auto": a missing one is an error
                            # at start, not a server silently several times slower.
                            loop="uvloop", http="httptools")
    # On SIGTERM: stop accepting, end log follows, let requests in flight finish (up to the
    # timeout), then the lifespan closes the ZooKeeper session and the HTTP client.
    DrainingServer(config, on_draining=app.state.draining.set).run()
    return EXIT_OK


async def _run_until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _dev(args: argparse.Namespace) -> int:
    from gateway.config import DEFAULT_JOB_SPECS
    from gateway.devstack import DevStack
    from gateway.log_setup import configure_logging
    from simcluster import SimConfig

    # Readable lines for people at a terminal (gateway serve writes JSON).
    configure_logging("text", args.log_level)
    # The gateway is told what the simulated Chronos has (DevStack), so GPU jobs work as the
    # README shows; --no-chronos-gpus plays a cluster whose Chronos lacks the GPU patch.
    # marathon_lb: the reported endpoints answer, as marathon-lb makes them answer in a cluster.
    sim_config = SimConfig(host=args.host, agents=args.agents, agent_gpus=args.gpus_per_agent,
                           chronos_gpus=not args.no_chronos_gpus, marathon_lb=True)
    stack = DevStack(host=args.host, port=args.port, sim_config=sim_config,
                     job_specs_dir=args.job_specs or DEFAULT_JOB_SPECS)
    async with stack as info:
        if args.info_file:
            info.write(args.info_file)
        print(f"""
gateway dev is running (development only: the token issuer below is not for production).

  web UI     {info.gateway_url}/ui/   (development login: pick alice, bob or admin)
  gateway    {info.gateway_url}      (API docs: {info.gateway_url}/docs)
  marathon   {info.marathon_url}   (simulated)
  chronos    {info.chronos_url}   (simulated)
  mesos      {info.mesos_url}   (simulated)
  issuer     {info.issuer_url}

Tokens (valid 8 hours):""", flush=True)
        for user, token in info.tokens.items():
            print(f"  {user.upper()}_TOKEN={token}\n", flush=True)
        cli = Path(sys.executable).parent / "gateway"
        print(f"""A fresh token at any time: {cli} dev-token alice --issuer {info.issuer_url}

Try (with the tokens above exported):
  curl -H "Authorization: Bearer $ALICE_TOKEN" {info.gateway_url}/v1/modules
  curl -H "Authorization: Bearer $ALICE_TOKEN" {info.gateway_url}/v1/deployments
  export GATEWAY_URL={info.gateway_url} OIDC_ACCESS_TOKEN=$ALICE_TOKEN
  {cli} jobs submit job_specs/examples/prepare-data.yaml --wait

Ctrl-C stops everything.""", flush=True)
        await _run_until_signal()
    print("gateway dev stopped.", flush=True)
    return EXIT_OK


def cmd_dev(args: argparse.Namespace) -> int:
    import uvloop

    # The loop `gateway serve` runs on, so the development stack behaves (and performs) alike.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_dev(args))


def cmd_sim(argv: list[str]) -> int:
    # The sim parses its own options, so `gateway serve` never imports the simulated cluster.
    from simcluster.cli import main as sim_main

    return sim_main(argv, prog="gateway sim")


def _ipv4_address(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an IPv4 address") from None


def build_parser() -> argparse.ArgumentParser:
    from gateway import __version__
    from gateway.cli.dev_token import add_dev_token_command
    from gateway.cli.parsing import HelpFormatter
    from gateway.cli.verbs import add_client_commands

    parser = argparse.ArgumentParser(prog="gateway", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gateway {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="VERB")

    serve = sub.add_parser("serve", help="run the production server (configured by GATEWAY_*)",
                           description="Run the production server; its settings come from "
                                       "GATEWAY_* environment variables (--help-config).",
                           formatter_class=HelpFormatter)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--forwarded-allow-ips", default="127.0.0.1", metavar="IPS",
                       help="proxies whose X-Forwarded-* headers are trusted (the Apache in front)")
    serve.add_argument("--log-level", default="info",
                       choices=("critical", "error", "warning", "info", "debug"),
                       help="how much uvicorn and the gateway log")
    serve.add_argument("--shutdown-timeout", type=int, default=25, metavar="SECONDS",
                       help="on SIGTERM, how long requests in flight may take to finish "
                            "(keep it under the orchestrator's kill delay)")
    serve.add_argument("--help-config", action="store_true",
                       help="list every GATEWAY_* setting with its default and meaning, and exit")
    serve.set_defaults(func=cmd_serve)

    dev = sub.add_parser("dev", help="simulated cluster + development token issuer + gateway",
                         description="Run the simulated cluster, a development token issuer and "
                                     "the gateway in one process, and print URLs and tokens.",
                         formatter_class=HelpFormatter)
    dev.add_argument("--host", default="127.0.0.1", type=_ipv4_address,
                     help="IPv4 address to listen on (the simulated cluster is IPv4 only)")
    dev.add_argument("--port", type=int, default=8000, help="the gateway's port (0: any free one)")
    dev.add_argument("--info-file", type=Path, metavar="PATH",
                     help="also write the URLs and tokens as JSON here (mode 0600)")
    dev.add_argument("--agents", type=int, default=2, help="simulated Mesos agents")
    dev.add_argument("--gpus-per-agent", type=int, default=1, help="GPUs of each simulated agent")
    dev.add_argument("--no-chronos-gpus", action="store_true",
                     help="a Chronos without the GPU patch: jobs asking for GPUs are refused")
    dev.add_argument("--job-specs", type=Path, metavar="DIR",
                     help="the operator data: module catalog, service and job templates "
                          "(default: those shipped with the package)")
    dev.add_argument("--log-level", default="warning",
                     choices=("critical", "error", "warning", "info", "debug"),
                     help="info shows each request and the audit lines")
    dev.set_defaults(func=cmd_dev)
    add_dev_token_command(sub, HelpFormatter)

    # Listed for --help only; main() hands `gateway sim ...` to the sim's own parser.
    sub.add_parser("sim", help="the simulated cluster alone (see `gateway sim --help`)")
    add_client_commands(sub)  # deploy, list, show, update, restart, ..., capacity, jobs ...
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["sim"]:
        return cmd_sim(argv[1:])
    parser = build_parser()
    argcomplete.autocomplete(parser)  # answers the shell's completion request and exits
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
