"""A deployment request is completed and bounded by the catalog before anything is sent."""


import pytest

from gateway.catalog_files import CatalogError, load_module_catalog, load_service_templates
from gateway.errors import InvalidInput
from gateway.models import DeploymentRequest
from gateway.translation.deployments import resolve_deployment
from tests.support.paths import JOB_SPECS

CATALOG = load_module_catalog(JOB_SPECS)
TEMPLATES = load_service_templates(JOB_SPECS)


def _resolve(body: dict) -> DeploymentRequest:
    return resolve_deployment(DeploymentRequest.model_validate(body), CATALOG, TEMPLATES)


def _fields(caught: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {error["field"] for error in caught.value.extra["errors"]}


def test_a_module_gets_its_cpu_image_and_default_hardware():
    resolved = _resolve({"module": "image-classification-tf"})
    assert resolved.image == "deephdc/deep-oc-image-classification-tf:cpu"
    assert resolved.hardware.model_dump() == {"cpus": 1.0, "memory": 4096, "disk": 10240, "gpus": 0}


def test_asking_for_a_gpu_selects_the_gpu_image_and_keeps_other_defaults():
    resolved = _resolve({"module": "image-classification-tf", "hardware": {"gpus": 1}})
    assert resolved.image == "deephdc/deep-oc-image-classification-tf:gpu"
    assert resolved.hardware.gpus == 1 and resolved.hardware.memory == 4096


def test_hardware_above_the_module_maximum_is_refused_naming_each_field():
    with pytest.raises(InvalidInput) as caught:
        _resolve({"module": "plants-classification", "hardware": {"gpus": 2, "cpus": 64}})
    assert _fields(caught) == {"hardware.gpus", "hardware.cpus"}


def test_an_unknown_module_is_refused():
    with pytest.raises(InvalidInput) as caught:
        _resolve({"module": "no-such-module"})
    assert _fields(caught) == {"module"}


def test_a_service_the_module_does_not_offer_is_refused():
    with pytest.raises(InvalidInput) as caught:
        _resolve({"module": "speech-to-text-tf", "service": "jupyter",
                  "jupyter_password": "long-enough-password"})
    assert _fields(caught) == {"service"}


def test_raw_images_only_from_allowed_prefixes():
    assert _resolve({"image": "deephdc/my-module:latest"}).image == "deephdc/my-module:latest"
    with pytest.raises(InvalidInput) as caught:
        _resolve({"image": "evil/cryptominer:latest"})
    assert _fields(caught) == {"image"}


def test_module_and_image_together_or_neither_are_refused():
    with pytest.raises(InvalidInput):
        _resolve({"module": "generic-dev", "image": "deephdc/x"})
    with pytest.raises(InvalidInput):
        _resolve({})


def test_fractional_gpus_are_refused_by_the_request_model():
    with pytest.raises(ValueError, match="gpus"):
        DeploymentRequest.model_validate({"image": "deephdc/x", "hardware": {"gpus": 0.5}})


def test_a_broken_catalog_file_is_refused_with_the_field_that_is_wrong(tmp_path):
    (tmp_path / "modules.yaml").write_text("modules:\n  - name: Bad Name\n")
    with pytest.raises(CatalogError, match=r"modules\.yaml: modules\.0\.name"):
        load_module_catalog(tmp_path)


def _errors(body: dict) -> dict[str, str]:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        DeploymentRequest.model_validate(body)
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


def test_the_jupyter_service_needs_a_password_of_at_least_nine_characters():
    assert "jupyter_password" in _errors({"module": "generic-dev", "service": "jupyter"})
    assert "jupyter_password" in _errors({"module": "generic-dev", "service": "jupyter",
                                          "jupyter_password": "12345678"})
    ok = DeploymentRequest.model_validate({"module": "generic-dev", "service": "jupyter",
                                           "jupyter_password": "123456789"})
    assert ok.jupyter_password is not None


def test_a_jupyter_password_is_refused_for_the_deepaas_service():
    assert "jupyter_password" in _errors({"module": "image-classification-tf",
                                          "jupyter_password": "123456789"})


def test_environment_names_must_be_shell_names():
    assert "env" in _errors({"image": "deephdc/x", "env": {"1BAD": "x"}})
    assert "env" in _errors({"image": "deephdc/x", "env": {"WITH-DASH": "x"}})


def test_reserved_environment_names_are_refused_before_anything_else():
    with pytest.raises(InvalidInput) as caught:
        _resolve({"module": "no-such-module", "env": {"MESOS_TASK_ID": "x", "HOME": "/"}})
    assert _fields(caught) == {"env.MESOS_TASK_ID", "env.HOME"}


def test_the_operators_limits_cap_a_generous_module():
    from gateway.models import Hardware

    strict = TEMPLATES.model_copy(update={"limits": Hardware(cpus=4, memory=8192, disk=1024,
                                                             gpus=1)})
    request = DeploymentRequest.model_validate({"module": "image-classification-tf",
                                                "hardware": {"gpus": 2, "cpus": 4}})
    with pytest.raises(InvalidInput) as caught:
        resolve_deployment(request, CATALOG, strict)
    assert _fields(caught) == {"hardware.gpus", "hardware.disk"}
    assert {e["message"] for e in caught.value.extra["errors"]} == {"at most 1", "at most 1024"}


def test_range_messages_write_numbers_as_people_do():
    with pytest.raises(InvalidInput) as caught:
        _resolve({"module": "image-classification-tf", "hardware": {"cpus": 99}})
    assert caught.value.extra["errors"] == [{"field": "hardware.cpus", "message": "at most 8"}]


def test_an_allowed_prefix_does_not_admit_a_look_alike_organisation():
    with pytest.raises(InvalidInput):
        _resolve({"image": "deephdc-evil/miner:latest"})


def test_hardware_below_what_a_module_needs_is_refused():
    with pytest.raises(InvalidInput) as caught:
        _resolve({"module": "speech-to-text-tf", "hardware": {"memory": 2048}})
    assert caught.value.extra["errors"] == [{"field": "hardware.memory", "message": "at least 4096"}]
    assert _resolve({"module": "speech-to-text-tf", "hardware": {"memory": 4096}}).hardware.memory \
        == 4096


def test_a_module_whose_default_is_below_its_minimum_is_refused_at_start(tmp_path):
    (tmp_path / "modules.yaml").write_text(
        "modules:\n  - name: m\n    title: M\n    image: deephdc/m\n    tags: {cpu: c, gpu: g}\n"
        "    services: [deepaas]\n    hardware:\n      default: {memory: 1024}\n"
        "      max: {memory: 8192}\n      min: {memory: 2048}\n")
    with pytest.raises(CatalogError, match="default memory is below min memory"):
        load_module_catalog(tmp_path)
