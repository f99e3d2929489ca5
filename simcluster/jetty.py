"""Jetty's default error page: what Marathon and Chronos send for errors raised outside their
JAX-RS resources (no leader, the leader proxy failing, Basic auth, unmapped exceptions).

Both embed Jetty but not the same release, and the page's last lines differ between them.
"""

from __future__ import annotations

import html
from enum import StrEnum

from starlette.responses import Response

_REASONS = {
    400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


class JettyFooter(StrEnum):
    MARATHON = "<hr /><i><small>Powered by Jetty://</small></i><br/>\n</body>\n</html>\n"
    CHRONOS = "<hr><i><small>Powered by Jetty://</small></i><hr/>\n\n</body>\n</html>\n"


def jetty_error(
    status: int,
    path: str,
    reason: str | None = None,
    *,
    cause: str | None = None,
    headers: dict[str, str] | None = None,
    footer: JettyFooter = JettyFooter.MARATHON,
) -> Response:
    """The page for ``status`` at ``path``; ``cause`` is the trace of an unmapped exception,
    shown under a plain "Server Error"."""
    reason = reason or _REASONS.get(status, "Server Error")
    if status == 500 and cause is not None:
        reason = "Server Error"
    parts = [
        "<html>\n<head>\n",
        '<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n',
        f"<title>Error {status} {html.escape(reason)}</title>\n</head>\n",
        f"<body><h2>HTTP ERROR {status}</h2>\n",
        f"<p>Problem accessing {html.escape(path)}. Reason:\n<pre>    {html.escape(reason)}</pre></p>",
    ]
    if cause is not None:
        parts.append(f"<h3>Caused by:</h3><pre>{html.escape(cause)}</pre>")
    parts.append(footer.value)
    return Response(
        "".join(parts).encode("iso-8859-1", "replace"),
        status,
        headers=headers,
        media_type="text/html;charset=ISO-8859-1",
    )
