"""The API's messages name routes and query parameters; the CLI's user knows its verbs and flags.

``in_cli_terms`` rewrites the few phrases the gateway's problems use into the command to type,
and ``hint_for`` adds what to do next where the exit code alone does not say it.
"""

from __future__ import annotations

import os

from gateway.cli.errors import ClientError, Exit

_PHRASES = (
    ("GET /v1/modules lists them", "`gateway modules` lists them"),
    ("`GET /v1/modules`", "`gateway modules`"),
    ("GET /v1/modules", "`gateway modules`"),
    ("`GET /v1/me`", "`gateway me`"),
    ("children=delete", "--children delete"),
    ("dry_run", "--dry-run"),
)


def in_cli_terms(text: str) -> str:
    for api, cli in _PHRASES:
        text = text.replace(api, cli)
    return text


def hint_for(error: ClientError, command: str, verb: str | None) -> str | None:
    """One more line of advice for the errors whose remedy is a command (``command`` is the
    first word after ``gateway``, ``verb`` the one after ``jobs``)."""
    jobs = command == "jobs"
    if error.code == Exit.UNAUTHORIZED:
        account = os.environ.get("OIDC_AGENT_ACCOUNT", "").strip()
        if account and not os.environ.get("OIDC_ACCESS_TOKEN"):
            return (f"The token came from `oidc-token {account}`; check the account with "
                    f"`oidc-gen --reauthenticate {account}`.")
        return ("Get a new token: `export OIDC_ACCESS_TOKEN=$(oidc-token <account>)` with "
                "oidc-agent, or for the demo users of `gateway dev`: "
                "`export OIDC_ACCESS_TOKEN=$(gateway dev-token alice --issuer <issuer URL>)`.")
    if error.code == Exit.CONFLICT and (verb or command) == "logs":
        return f"`gateway {'jobs ' if jobs else ''}show` says what it is waiting for."
    if error.code == Exit.NOT_FOUND and (verb or command) in ("show", "restart", "delete", "logs",
                                                             "run", "kill"):
        return f"`gateway {'jobs ' if jobs else ''}list` lists yours."
    return None
