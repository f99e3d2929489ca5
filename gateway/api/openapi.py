"""The OpenAPI document, made true: what FastAPI generates from the routes, plus what it cannot
know: every error is application/problem+json (one ``Problem`` schema), every status a route can
answer (401 and 400 from authentication, 413 from the body limit, 502 and 503 from the
schedulers), the headers answers carry, who needs a token, and links from a created resource to
its routes. Fuzzers (tests/api/test_fuzzing.py) hold the gateway to this document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from gateway.errors import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. `errors` names each invalid field (422); other "
                   "members depend on the code (`quota` for quota_exceeded, `scheduler` for "
                   "upstream problems, `children` for a refused job deletion).",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable, for programs: e.g. invalid_input"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
    },
}

_SECURED_PREFIX = "/v1/"
_UPSTREAM_PREFIXES = ("/v1/deployments", "/v1/jobs")
_WHY = {
    400: "A malformed Authorization header, or a token sent in the URL",
    401: "No token, or not a valid one",
    403: "The token lacks a required group or scope (or, creating or changing, the quota is exceeded)",
    404: "Not found (also: not yours)",
    409: "Refused in the resource's present state (no task or run yet, dependents, locked)",
    413: "The request body is larger than GATEWAY_MAX_BODY_BYTES",
    422: "Invalid input; `errors` name the fields",
    502: "A scheduler refused or failed the call",
    503: "No scheduler leader, the scheduler does not answer, or the quota lock is busy",
}
_HEADERS: dict[str, dict[str, Any]] = {
    "Location": {"description": "Where the created resource is", "required": True,
                 "schema": {"type": "string"}},
    "Idempotent-Replayed": {"description": "`true` when an earlier request with the same "
                                           "Idempotency-Key made this deployment or job",
                            "schema": {"type": "string", "enum": ["true"]}},
    "X-Deleted-Jobs": {"description": "The ids of the deleted jobs, comma separated",
                       "required": True, "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds after which retrying may succeed",
                    "schema": {"type": "string"}},
    "WWW-Authenticate": {"description": "The RFC 6750 Bearer challenge", "required": True,
                         "schema": {"type": "string"}},
}
# (method, path) -> {status: [header names]}
_SUCCESS_HEADERS = {
    ("post", "/v1/deployments"): {"202": ["Location", "Idempotent-Replayed"]},
    ("post", "/v1/jobs"): {"201": ["Location", "Idempotent-Replayed"]},
    ("delete", "/v1/jobs/{job_id}"): {"204": ["X-Deleted-Jobs"]},
}
# A created resource's id, and the operations it feeds: (method, path, parameter name).
_LINKS = {
    ("post", "/v1/deployments", "202"): ("deployment_id", [
        ("get", "/v1/deployments/{deployment_id}"), ("delete", "/v1/deployments/{deployment_id}"),
        ("post", "/v1/deployments/{deployment_id}/restart"),
        ("get", "/v1/deployments/{deployment_id}/logs")]),
    ("post", "/v1/jobs", "201"): ("job_id", [
        ("get", "/v1/jobs/{job_id}"), ("post", "/v1/jobs/{job_id}/run"),
        ("post", "/v1/jobs/{job_id}/kill"), ("delete", "/v1/jobs/{job_id}"),
        ("get", "/v1/jobs/{job_id}/logs")]),
}


def install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = described(generate())
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def described(document: dict[str, Any]) -> dict[str, Any]:
    """The generated document with the gateway's errors, headers, security and links."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    operation_ids = {(method, path): operation.get("operationId")
                     for path, operations in document.get("paths", {}).items()
                     for method, operation in operations.items()}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            _describe_operation(method, path, operation)
            for status, names in _SUCCESS_HEADERS.get((method, path), {}).items():
                operation["responses"][status]["headers"] = {name: _HEADERS[name] for name in names}
            for (link_method, link_path, status), (parameter, targets) in _LINKS.items():
                if (link_method, link_path) == (method, path):
                    operation["responses"][status]["links"] = {
                        operation_ids[target]: {"operationId": operation_ids[target],
                                                "parameters": {parameter: "$response.body#/id"}}
                        for target in targets if operation_ids.get(target)}
    return document


def _describe_operation(method: str, path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses = {413}
    if path.startswith(_SECURED_PREFIX):
        statuses |= {400, 401, 403, 422}
    else:
        operation["security"] = []  # health, readiness and metrics are open (and say so)
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.add(422)
    if "{" in path:
        statuses.add(404)
    if path.startswith(_UPSTREAM_PREFIXES):
        statuses |= {409, 502, 503}
    for code in sorted(statuses):
        responses.setdefault(str(code), {"description": _WHY[code]})
    for status, response in responses.items():
        if not status.startswith(("4", "5")) or (path == "/readyz" and status == "503"):
            continue  # readiness answers its own report, not a problem
        response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
        if status == "422":
            response["description"] = _WHY[422]
        if status == "401":
            response["headers"] = {"WWW-Authenticate": _HEADERS["WWW-Authenticate"]}
        if status == "503":
            response["headers"] = {"Retry-After": _HEADERS["Retry-After"]}
