"""The OpenAPI document says what the gateway really answers (the fuzzing suite holds the
gateway to it; these check the document's own promises)."""

from __future__ import annotations

import pytest

from gateway.app import create_app

DOCUMENT = create_app().openapi()
OPERATIONS = [(method, path, operation) for path, operations in DOCUMENT["paths"].items()
              for method, operation in operations.items()]


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS,
                         ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_error_answer_is_a_documented_problem(method, path, operation):
    for status, response in operation["responses"].items():
        if status.startswith(("4", "5")) and (path, status) != ("/readyz", "503"):
            assert response["content"] == {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}, status
    assert "413" in operation["responses"]


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS,
                         ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_v1_routes_declare_their_security_and_its_answers_and_the_rest_are_open(method, path,
                                                                                  operation):
    if path.startswith("/v1/"):
        assert operation["security"] == [{"HTTPBearer": []}]
        assert {"400", "401", "403", "422"} <= set(operation["responses"])
        assert operation["responses"]["401"]["headers"]["WWW-Authenticate"]["required"]
    else:
        assert operation["security"] == []
    if path.startswith(("/v1/deployments", "/v1/jobs")):
        assert "Retry-After" in operation["responses"]["503"]["headers"]


def test_the_default_validation_error_shape_is_gone():
    schemas = DOCUMENT["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "Problem" in schemas


def test_answers_document_their_headers_and_creations_link_to_their_routes():
    paths = DOCUMENT["paths"]
    created = paths["/v1/deployments"]["post"]["responses"]["202"]
    assert set(created["headers"]) == {"Location", "Idempotent-Replayed"}
    assert len(created["links"]) == 4
    assert all(link["parameters"] == {"deployment_id": "$response.body#/id"}
               for link in created["links"].values())
    submitted = paths["/v1/jobs"]["post"]["responses"]["201"]
    assert set(submitted["headers"]) == {"Location", "Idempotent-Replayed"}
    assert len(submitted["links"]) == 5
    assert paths["/v1/jobs/{job_id}"]["delete"]["responses"]["204"]["headers"]["X-Deleted-Jobs"]


def test_deployments_and_jobs_document_the_owners_key_and_optional_name():
    schemas = DOCUMENT["components"]["schemas"]
    for name in ("Deployment", "Job"):
        properties = schemas[name]["properties"]
        assert "owner" in schemas[name]["required"] and "owner_name" not in schemas[name]["required"]
        assert "key" in properties["owner"]["description"]
        assert "name" in properties["owner_name"]["description"]
