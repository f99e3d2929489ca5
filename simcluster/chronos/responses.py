"""The three kinds of error body a Chronos 3 client meets, written the way the JVM writes them.

* ``ApiResult`` JSON (``{"status": <reason phrase>, "message": ...}``) from the resource methods;
  for exception-derived errors the message is the whole Java stack trace.
* Jetty's HTML error page, for exceptions Jersey could not map (deserializer failures) and for
  ``sendError`` (the leader proxy).
* Plain 204/200 answers. Every answer carries the CORS header Chronos' ``CorsFilter`` adds.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from simcluster.jetty import JettyFooter, jetty_error

CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}
JSON_TYPE = "application/json"

_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}

# Frames are only decoration, but clients that print "the first line" must find the exception
# there and the rest must look like a JVM trace (tab + "at").
_API = "org.apache.mesos.chronos.scheduler.api"
_FRAMES: dict[str, tuple[str, ...]] = {
    "require": ("scala.Predef$.require(Predef.scala:224)",),
    "iso8601": (f"{_API}.Iso8601JobResource.post(Iso8601JobResource.scala:64)",),
    "dependency": (f"{_API}.DependentJobResource.handleRequest(DependentJobResource.scala:58)",),
    "management": (f"{_API}.JobManagementResource.trigger(JobManagementResource.scala:195)",),
    "delete": (f"{_API}.JobManagementResource.delete(JobManagementResource.scala:93)",),
    "stat": (f"{_API}.JobManagementResource.getStat(JobManagementResource.scala:141)",),
    "kill": (f"{_API}.TaskManagementResource.killTasksForJob(TaskManagementResource.scala:47)",),
    "deserializer": (
        "org.apache.mesos.chronos.utils.JobDeserializer.deserialize(JobDeserializer.scala:118)",
        "org.apache.mesos.chronos.utils.JobDeserializer.deserialize(JobDeserializer.scala:30)",
        "com.fasterxml.jackson.databind.ObjectMapper._readMapAndClose(ObjectMapper.java:3736)",
        "com.fasterxml.jackson.jaxrs.base.ProviderBase.readFrom(ProviderBase.java:590)",
    ),
    "proxy": (
        "sun.net.www.protocol.http.HttpURLConnection.getInputStream(HttpURLConnection.java:1513)",
        f"{_API}.RedirectFilter.proxyRequest(RedirectFilter.scala:98)",
        f"{_API}.RedirectFilter.doFilter(RedirectFilter.scala:51)",
    ),
}
_JERSEY_FRAMES = (
    "sun.reflect.NativeMethodAccessorImpl.invoke0(Native Method)",
    "com.sun.jersey.server.impl.model.method.dispatch.AbstractResourceMethodDispatchProvider"
    "$ResponseOutInvoker._dispatch(AbstractResourceMethodDispatchProvider.java:205)",
    "com.sun.jersey.spi.container.servlet.WebComponent.service(WebComponent.java:409)",
    "org.eclipse.jetty.servlet.ServletHolder.handle(ServletHolder.java:812)",
    "org.eclipse.jetty.server.handler.HandlerWrapper.handle(HandlerWrapper.java:97)",
    "java.lang.Thread.run(Thread.java:745)",
)


def stack_trace(exception: str, message: str | None, *where: str) -> str:
    """``ExceptionUtils.getStackTrace`` of ``exception`` thrown at the named places."""
    head = exception if message is None else f"{exception}: {message}"
    frames = [frame for key in where for frame in _FRAMES[key]] + list(_JERSEY_FRAMES)
    return head + "".join(f"\n\tat {frame}" for frame in frames) + "\n"


def requirement_failed(message: str, where: str) -> str:
    """The trace of a failed Scala ``require(cond, message)``."""
    return stack_trace(
        "java.lang.IllegalArgumentException", f"requirement failed: {message}", "require", where
    )


def api_result(status_code: int, message: str) -> Response:
    body = {"status": _REASONS[status_code], "message": message}
    return json_response(body, status_code)


def bad_request(message: str) -> Response:
    return api_result(400, message)


def json_response(body: Any, status_code: int = 200) -> Response:
    # Jackson writes compact JSON and keeps the key order the serializer chose.
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status_code, headers=CORS_HEADERS, media_type=JSON_TYPE)


def no_content() -> Response:
    return Response(status_code=204, headers=CORS_HEADERS)


def jetty_error_page(
    status_code: int, path: str, reason: str | None = None, cause: str | None = None
) -> Response:
    """Jetty's default error page as Chronos' Jetty writes it, with the CORS header."""
    return jetty_error(
        status_code, path, reason, cause=cause, headers=CORS_HEADERS, footer=JettyFooter.CHRONOS
    )


class UnmappedException(Exception):
    """A JVM exception nothing maps to a response: Jetty answers with its HTML 500 page."""

    def __init__(self, java_class: str, message: str | None = None, where: str = "deserializer"):
        super().__init__(f"{java_class}: {message}")
        self.trace = stack_trace(java_class, message, where)
