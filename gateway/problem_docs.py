"""What each problem ``code`` means and what to do about it: the pages the ``type`` URIs name.

Every problem+json answer carries ``"type": "/problems/<code>"`` (a URI reference resolved
against the gateway's own address, RFC 9457 §3.1.1), and the gateway serves that page. A code
without an entry here gets ``about:blank``, so a ``type`` never points at nothing. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

PROBLEMS_PATH = "/problems/"


@dataclass(frozen=True)
class ProblemDoc:
    status: int
    title: str
    meaning: str
    remedy: str


_RENEW = ("Get a fresh token and retry: with oidc-agent, `oidc-token <account>` (the CLI does "
              "this itself when OIDC_AGENT_ACCOUNT is set); for the demo users of `gateway dev`, "
              "`gateway dev-token alice --issuer <issuer URL>`.")

PROBLEM_DOCS: dict[str, ProblemDoc] = {
    "unauthorized": ProblemDoc(
        401, "Authentication required",
        "The request carried no bearer token.",
        "Send `Authorization: Bearer <token>`. " + _RENEW),
    "invalid_token": ProblemDoc(
        401, "Token refused",
        "The token has expired, was not issued by an issuer this gateway trusts, or its signature "
        "or claims are not valid; `detail` says which.",
        _RENEW),
    "invalid_request": ProblemDoc(
        400, "Malformed request",
        "The Authorization header is not of the form `Bearer <token>`.",
        "Send exactly one `Authorization: Bearer <token>` header."),
    "insufficient_scope": ProblemDoc(
        403, "Not allowed",
        "The token is valid, but its groups or scopes do not allow this.",
        "`GET /v1/me` (`gateway me`) shows the groups the gateway sees; ask your virtual "
        "organisation's managers for membership of an allowed group."),
    "quota_exceeded": ProblemDoc(
        403, "Quota exceeded",
        "The request would take you over a per-user limit; `quota` says what is used, asked and "
        "allowed.",
        "Delete a deployment or job you no longer need, or ask for less."),
    "not_found": ProblemDoc(
        404, "Not found",
        "No such deployment, job, module or route; another user's deployments and jobs are "
        "\"not found\" too.",
        "List what exists: `GET /v1/deployments`, `GET /v1/jobs`, `GET /v1/modules`."),
    "method_not_allowed": ProblemDoc(
        405, "Method not allowed",
        "The route exists but not with this HTTP method.",
        "See the API description at `/docs`."),
    "conflict": ProblemDoc(
        409, "Conflict",
        "The request clashes with the current state: a job other jobs run after, a disabled job "
        "asked to run, or logs of something that has not started a task yet.",
        "`detail` names the state; change it first (e.g. delete the children too, enable the "
        "job, wait until the deployment runs)."),
    "invalid_input": ProblemDoc(
        422, "Invalid input",
        "The request is well formed but its content is refused; `errors` lists each field with "
        "what it expects.",
        "Correct the fields named and send it again; nothing was created."),
    "http_error": ProblemDoc(
        400, "HTTP error",
        "The request was refused before it reached the gateway's own checks; `status` says why.",
        "See `detail`."),
    "upstream_error": ProblemDoc(
        502, "Upstream scheduler error",
        "Marathon, Chronos or Mesos refused or failed the call the gateway made for you.",
        "Try again later; if it persists, tell the operators the time and `instance`."),
    "upstream_unavailable": ProblemDoc(
        503, "Upstream scheduler unavailable",
        "A scheduler has no known leader or does not answer (e.g. during a failover).",
        "Try again in a minute; nothing was changed."),
    "internal_error": ProblemDoc(
        500, "Internal error",
        "The gateway failed in a way it did not expect; it logged the details.",
        "Tell the operators the time and `instance`."),
}


def problem_type(code: str) -> str:
    return PROBLEMS_PATH + code if code in PROBLEM_DOCS else "about:blank"
