"""The HTTP side of the client verbs: where the gateway is, which token to send, and turning
problem+json answers into exit codes and sentences.

The token comes from ``--token``, else ``$OIDC_ACCESS_TOKEN``, else ``oidc-token
$OIDC_AGENT_ACCOUNT`` (oidc-agent). It is only ever sent in the Authorization header: never
printed, never put in an error message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.cli.errors import ClientError, Exit, exit_for_status

OIDC_TOKEN_TIMEOUT = 20.0


def resolve_url(option: str | None) -> str:
    url = option or os.environ.get("GATEWAY_URL", "")
    if not url:
        raise ClientError(Exit.CONFIG, "No gateway URL: pass --url or set GATEWAY_URL.")
    if not url.startswith(("http://", "https://")):
        raise ClientError(Exit.CONFIG, f"The gateway URL must start with http:// or https:// "
                                       f"(got {url!r}).")
    return url.rstrip("/")


def resolve_token(option: str | None) -> str:
    if option:
        return option
    token = os.environ.get("OIDC_ACCESS_TOKEN", "").strip()
    if token:
        return token
    account = os.environ.get("OIDC_AGENT_ACCOUNT", "").strip()
    if account:
        return _token_from_oidc_agent(account)
    raise ClientError(Exit.CONFIG, "No token: pass --token, set OIDC_ACCESS_TOKEN, or set "
                                   "OIDC_AGENT_ACCOUNT to an oidc-agent account "
                                   "(e.g. `export OIDC_AGENT_ACCOUNT=deep-iam`).")


def _token_from_oidc_agent(account: str) -> str:
    program = shutil.which("oidc-token")
    if program is None:
        raise ClientError(Exit.CONFIG, "OIDC_AGENT_ACCOUNT is set but oidc-token is not "
                                       "installed (it comes with oidc-agent).")
    try:
        done = subprocess.run([program, account], capture_output=True, text=True,  # noqa: S603
                              timeout=OIDC_TOKEN_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise ClientError(Exit.CONFIG, f"oidc-token {account} did not answer in "
                                       f"{OIDC_TOKEN_TIMEOUT:g} s; is oidc-agent running "
                                       "(eval $(oidc-agent))?") from None
    token = done.stdout.strip()
    if done.returncode != 0 or not token:
        # oidc-token's own message says what is wrong (agent not running, account not loaded).
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no token"
        raise ClientError(Exit.CONFIG, f"oidc-token {account} failed: {reason}")
    return token


@dataclass
class Session:
    """One gateway, one token; every call raises ClientError on anything but success."""

    http: httpx.Client

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise _unreachable(self.http.base_url, exc) from None
        if response.status_code >= 400:
            raise problem_error(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    def all_items(self, path: str, params: dict[str, Any]) -> list[Any]:
        """Every item of a paged list, following ``next`` cursors to the end."""
        items: list[Any] = []
        cursor = None
        while True:
            page = self.json("GET", path, params={**params, **({"cursor": cursor} if cursor else {})})
            items.extend(page["items"])
            cursor = page.get("next")
            if not cursor:
                return items

    def copy_to_stdout(self, path: str, params: dict[str, Any]) -> None:
        """Print a (possibly followed) log as its bytes arrive."""
        with self.stream(path, params) as response:
            for chunk in response.iter_bytes():
                sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()

    @contextmanager
    def stream(self, path: str, params: dict[str, Any]) -> Iterator[httpx.Response]:
        try:
            with self.http.stream("GET", path, params=params, timeout=httpx.Timeout(
                    10.0, read=None)) as response:
                if response.status_code >= 400:
                    response.read()
                    raise problem_error(response)
                yield response
        except httpx.TransportError as exc:
            raise _unreachable(self.http.base_url, exc) from None


@contextmanager
def open_session(url: str | None, token: str | None, timeout: float = 30.0) -> Iterator[Session]:
    base = resolve_url(url)
    bearer = resolve_token(token)
    with httpx.Client(base_url=base, timeout=timeout,
                      headers={"Authorization": f"Bearer {bearer}",
                               "User-Agent": "gateway-cli"}) as http:
        yield Session(http)


def _unreachable(base: httpx.URL, exc: httpx.TransportError) -> ClientError:
    what = "did not answer in time" if isinstance(exc, httpx.TimeoutException) else \
        "cannot be reached"
    return ClientError(Exit.UNREACHABLE, f"The gateway at {base} {what} ({type(exc).__name__}).")


def problem_error(response: httpx.Response) -> ClientError:
    """A ClientError for an RFC 9457 answer (or whatever a proxy in front answered instead)."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        return ClientError(exit_for_status(response.status_code),
                           f"The gateway answered HTTP {response.status_code}.")
    title = str(problem.get("title") or f"HTTP {response.status_code}")
    detail = str(problem.get("detail") or "")
    details = [f"{e.get('field')}: {e.get('message')}" for e in problem.get("errors") or []
               if isinstance(e, dict)]
    return ClientError(exit_for_status(response.status_code),
                       f"{title}: {detail}" if detail else title, details)
