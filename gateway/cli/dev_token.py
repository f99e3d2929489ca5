"""``gateway dev-token USER``: a fresh token for a demo user of a running ``gateway dev``.

The printed tokens last 8 hours; this asks the development issuer for a new one, so a session
need not restart the stack. It prints only the token, for ``export OIDC_ACCESS_TOKEN=$(...)``.
"""

from __future__ import annotations

import argparse
import os
import sys

import httpx

from gateway.cli.errors import Exit
from gateway.devissuer import DEMO_USERS

ISSUER_VARIABLE = "GATEWAY_DEV_ISSUER"


def cmd_dev_token(args: argparse.Namespace) -> int:
    issuer = (args.issuer or os.environ.get(ISSUER_VARIABLE, "")).rstrip("/")
    if not issuer:
        print(f"gateway: which issuer? Pass --issuer with the issuer URL `gateway dev` printed, "
              f"or set {ISSUER_VARIABLE}.", file=sys.stderr)
        return Exit.CONFIG
    try:
        response = httpx.post(f"{issuer}/dev/token", params={"user": args.user}, timeout=10.0)
    except httpx.HTTPError as exc:
        print(f"gateway: the development issuer at {issuer} cannot be reached "
              f"({type(exc).__name__}); is `gateway dev` running?", file=sys.stderr)
        return Exit.UNREACHABLE
    if response.status_code != 200:
        print(f"gateway: the development issuer refused: {response.text.strip()}",
              file=sys.stderr)
        return Exit.NOT_FOUND if response.status_code == 404 else Exit.FORBIDDEN
    print(response.text.strip())
    return Exit.OK


def add_dev_token_command(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
                          formatter: type[argparse.HelpFormatter]) -> None:
    parser = sub.add_parser("dev-token", help="a fresh token for a demo user of `gateway dev`",
                            description="The tokens `gateway dev` prints last 8 hours; this asks "
                                        "its development issuer for a new one and prints only "
                                        "the token.",
                            formatter_class=formatter)
    parser.add_argument("user", choices=[u.username for u in DEMO_USERS],
                        help="the demo user")
    parser.add_argument("--issuer", metavar="URL",
                        help=f"the issuer URL `gateway dev` printed (default: ${ISSUER_VARIABLE})")
    parser.set_defaults(func=cmd_dev_token)
