"""The client verbs of the ``gateway`` command, for people and scripts.

``add_client_commands(subparsers)`` registers ``deploy``, ``list``, ``show``, ``update``,
``restart``, ``delete``, ``logs``, ``modules``, ``me``, ``capacity`` and ``jobs ...``. Each
verb talks HTTP to a gateway (``--url`` or ``$GATEWAY_URL``) with a bearer token, prints tables
(or ``--output json``) and exits with a code from :class:`gateway.cli.errors.Exit`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gateway.cli.capacity import add_capacity_command
from gateway.cli.deployments import add_deployment_commands
from gateway.cli.errors import ClientError, Exit
from gateway.cli.jobs import add_job_commands
from gateway.cli.me import add_me_command
from gateway.cli.modules import add_module_commands
from gateway.cli.parsing import VerbAdder
from gateway.cli.session import open_session
from gateway.cli.wording import hint_for, in_cli_terms


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("gateway connection")
    group.add_argument("--url", help="the gateway's base URL (default: $GATEWAY_URL)")
    group.add_argument("--token", help="bearer token (default: $OIDC_ACCESS_TOKEN, else "
                                       "`oidc-token $OIDC_AGENT_ACCOUNT`)")
    group.add_argument("-o", "--output", choices=("table", "json"), default="table",
                       help="table for people, json (the API's JSON) for scripts")
    group.add_argument("--request-timeout", type=float, default=30.0, metavar="SECONDS",
                       help="how long to wait for each answer of the gateway")
    return common


def run_client_command(args: argparse.Namespace) -> int:
    try:
        with open_session(args.url, args.token, args.request_timeout) as session:
            code: Exit = args.client_func(session, args)
            return int(code)
    except ClientError as error:
        print(f"gateway: {in_cli_terms(error.message)}", file=sys.stderr)
        for line in error.details:
            print(f"  {in_cli_terms(line)}", file=sys.stderr)
        hint = hint_for(error, args.command, getattr(args, "jobs_command", None))
        if hint:
            print(hint, file=sys.stderr)
        return int(error.code)
    except KeyboardInterrupt:
        return 130


def add_client_commands(sub: Any) -> None:
    common = _common_options()
    verb = VerbAdder(sub, common, run_client_command)
    add_deployment_commands(verb)
    add_module_commands(verb)
    add_me_command(verb)
    add_capacity_command(verb)
    add_job_commands(sub, common, run_client_command)
