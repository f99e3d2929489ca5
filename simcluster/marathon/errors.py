"""Marathon's error answers, in its own shapes (api/MarathonExceptionMapper.scala)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

Violation = tuple[str, str]  # (path, message)


class MarathonError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status)


def group_violations(violations: list[Violation]) -> list[dict[str, Any]]:
    """One entry per path, messages in order, as ``Validation.allViolations`` writes them."""
    grouped: dict[str, list[str]] = {}
    for path, message in violations:
        grouped.setdefault(path, []).append(message)
    return [{"path": path, "errors": errors} for path, errors in grouped.items()]


def not_valid(violations: list[Violation]) -> MarathonError:
    return MarathonError(
        422, {"message": "Object is not valid", "details": group_violations(violations)}
    )


def invalid_json_shape(violations: list[Violation]) -> MarathonError:
    # Every entry carries errors, so the mapper picks 422 (400 only for error-less entries).
    return MarathonError(422, {"message": "Invalid JSON", "details": group_violations(violations)})


def malformed_json(parser_message: str) -> MarathonError:
    return MarathonError(400, {"message": "Invalid JSON", "details": parser_message})


def app_not_found(app_id: str) -> MarathonError:
    return MarathonError(404, {"message": f"App '{app_id}' does not exist"})


def app_exists(app_id: str) -> MarathonError:
    return MarathonError(409, {"message": f"An app with id [{app_id}] already exists."})


def app_locked(deployment_ids: list[str]) -> MarathonError:
    first = deployment_ids[0] if deployment_ids else ""
    return MarathonError(
        409,
        {
            "message": "App is locked by one or more deployments. Override with the option "
            f"'?force=true'. View details at '/v2/deployments/{first}'.",
            "deployments": [{"id": d} for d in deployment_ids],
        },
    )


def illegal_argument(message: str) -> MarathonError:
    return MarathonError(422, {"message": message})
