"""Jetty's default error page: what Marathon/Chronos send for errors raised outside JAX-RS."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse

_REASONS = {401: "Unauthorized", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}


def jetty_error(
    status: int, path: str, message: str | None = None, headers: dict[str, str] | None = None
) -> HTMLResponse:
    reason = html.escape(message or _REASONS.get(status, "Error"))
    body = (
        "<html>\n<head>\n"
        '<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n'
        f"<title>Error {status} {reason}</title>\n</head>\n"
        f"<body><h2>HTTP ERROR {status}</h2>\n"
        f"<p>Problem accessing {html.escape(path)}. Reason:\n<pre>    {reason}</pre></p>"
        "<hr /><i><small>Powered by Jetty://</small></i><br/>\n</body>\n</html>\n"
    )
    return HTMLResponse(body, status_code=status, headers=headers)
