"""Every refusal of a request body reads as advice to a person: no pydantic wording, no regular
expressions, the field meant for a misspelt one, and where a body stops being JSON."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from gateway.models import DeploymentRequest
from gateway.models.jobs import JobRequest
from gateway.models.messages import field_errors, json_syntax_error

PYDANTIC_WORDING = ("Input should", "Value error", "after validation", "String should",
                    "Extra inputs", "Field required", "valid dictionary", "^", "\\S", "{0,")

BAD_BODIES: list[tuple[type[BaseModel], dict[str, object]]] = [
    (DeploymentRequest, {"module": "Bad Name", "service": "ssh", "hardware": {"cpus": 0, "memory":
                         "lots", "gpus": 0.5, "disk": -1, "tpus": 1}, "env": {"1X": "a", "L": []},
                         "jupyter_password": "short", "description": "x" * 600, "colour": 1}),
    (DeploymentRequest, {"image": "UPPER/Case", "storage": {"rclone_url": "ftp://x",
                         "rclone_vendor": "dropbox", "rclone_password": ""}, "hardware": []}),
    (JobRequest, {"name": "gw-bad name", "command": "", "args": "not a list", "retries": 11,
                  "schedule": "R0/2026-01-01T00:00:00Z/P1D", "timezone": "BST",
                  "parents": ["a", "a"], "fetch": ["http://x"], "disabled": "maybe"}),
    (JobRequest, {"name": "ok", "command": "true", "schedule": "every night", "parents": ["x y"]}),
]


def _errors(model: type[BaseModel], body: dict[str, object]) -> list[dict[str, str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return field_errors(caught.value.errors(), model)


@pytest.mark.parametrize(("model", "body"), BAD_BODIES)
def test_no_message_speaks_pydantic_or_shows_a_pattern(model, body):
    errors = _errors(model, body)
    assert len(errors) >= 2
    for error in errors:
        assert error["message"] and not any(word in error["message"] for word in PYDANTIC_WORDING), \
            error


def test_each_kind_of_mistake_gets_its_own_sentence():
    messages = {e["field"]: e["message"] for e in _errors(*BAD_BODIES[0])}
    assert messages["hardware.cpus"] == "must be at least 0.01"  # Mesos keeps three decimals
    assert messages["hardware.memory"] == "must be a whole number"
    assert messages["hardware.gpus"] == "must be a whole number"
    assert messages["hardware.disk"] == "must be at least 0"
    assert messages["hardware.tpus"] == "is not a field here; did you mean `gpus`?"
    assert messages["service"] == "must be one of 'deepaas' or 'jupyter'"
    assert messages["env.L"] == "must be text"
    assert messages["jupyter_password"] == "must be at least 9 characters long"
    assert messages["description"] == "must be at most 500 characters long"
    assert messages["colour"].startswith("is not a field here; the fields are `module`, `image`")
    job = {e["field"]: e["message"] for e in _errors(*BAD_BODIES[2])}
    assert job["name"].startswith("must be 1 to 63 letters, digits")
    assert job["retries"] == "must be at most 10"
    assert job["disabled"] == "must be true or false"
    assert job["args"] == "must be a list"
    assert job["command"] == "must not be empty"


def test_a_json_syntax_error_is_located_by_line_and_column():
    document = '{\n  "module": "x",\n  "hardware": {"cpus": 1,}\n}'
    position = document.index(",}") + 1
    assert json_syntax_error(document, position, "Expecting property name enclosed in double "
                                                 "quotes") == (
        "The request body is not valid JSON: Expecting property name enclosed in double quotes "
        "at line 3, column 26.")
