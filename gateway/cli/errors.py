"""Exit codes of the client verbs, one per class of failure, so scripts can branch on them.

They are part of the CLI's contract (documented in the README); never renumber one.
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    RUN_FAILED = 1  # --wait: the run (or deployment) ended in failure, or was killed
    USAGE = 2  # bad arguments, or a request file that cannot be read or parsed (argparse uses 2 too)
    CONFIG = 3  # no gateway URL, or no token could be found
    UNAUTHORIZED = 4  # the gateway refused the token (401)
    FORBIDDEN = 5  # not allowed, or over quota (403)
    NOT_FOUND = 6  # no such job or deployment, or not yours (404)
    INVALID = 7  # the gateway refused the request's content (422); the fields are listed
    CONFLICT = 8  # the request clashes with the current state (409), e.g. a job with children
    UPSTREAM = 9  # Chronos, Marathon or Mesos failed or has no leader (502, 503): retry later
    UNREACHABLE = 10  # the gateway itself could not be reached (connection refused, timeout)
    WAIT_TIMEOUT = 124  # --wait gave up before the end (as timeout(1) does)


_BY_STATUS = {401: Exit.UNAUTHORIZED, 403: Exit.FORBIDDEN, 404: Exit.NOT_FOUND,
              409: Exit.CONFLICT, 422: Exit.INVALID, 400: Exit.INVALID, 502: Exit.UPSTREAM,
              503: Exit.UPSTREAM, 504: Exit.UPSTREAM}


def exit_for_status(status: int) -> Exit:
    return _BY_STATUS.get(status, Exit.UPSTREAM if status >= 500 else Exit.INVALID)


class ClientError(Exception):
    """Ends the command with ``code`` after printing ``message`` (and ``details``) to stderr."""

    def __init__(self, code: Exit, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []
