"""What deployments and jobs resolve alike: where the image comes from and how much hardware.

A request names a catalog module or a raw image; the module (or the operators' raw-image
policy) supplies the hardware defaults and bounds, and the operators' limits cap both.
"""

from __future__ import annotations

from gateway.catalog import HardwareRange, Module, ModuleCatalog, ServiceTemplates
from gateway.errors import InvalidInput
from gateway.models.common import Hardware, reserved_env_names
from gateway.models.messages import number_text

HARDWARE_FIELDS = ("cpus", "memory", "disk", "gpus")


def check_user_env(env: dict[str, str]) -> None:
    reserved = reserved_env_names(env)
    if reserved:
        raise InvalidInput(
            "Some environment variable names are reserved by the gateway or the schedulers.",
            [{"field": f"env.{name}", "message": "reserved name"} for name in reserved],
        )


def image_source(module_name: str | None, image: str | None, catalog: ModuleCatalog,
                 templates: ServiceTemplates) -> tuple[Module | None, HardwareRange]:
    """The module asked for (None for a raw image) and the hardware range that applies."""
    if image and module_name:
        raise InvalidInput("Give either a module or an image, not both.",
                           [{"field": "image", "message": "not allowed together with module"}])
    if module_name:
        module = catalog.get(module_name)
        if module is None:
            sentence = catalog.unknown_module(module_name)
            raise InvalidInput(sentence, [{"field": "module", "message": sentence}])
        return module, module.hardware
    if image:
        if not templates.raw_images.allows(image):
            raise InvalidInput("This image is not from a registry the operators allow.",
                               [{"field": "image", "message": "image not allowed; allowed prefixes: "
                                 + ", ".join(templates.raw_images.allowed_prefixes)}])
        return None, templates.raw_images.hardware
    raise InvalidInput("A module or an image is required.",
                       [{"field": "module", "message": "module or image is required"}])


def requested_hardware(hardware: Hardware, request_fields: set[str],
                       bounds: HardwareRange) -> Hardware:
    """What the request asked for, with the range's defaults for what it left out."""
    asked = hardware.model_dump(exclude_unset=True) if "hardware" in request_fields else {}
    return bounds.default.model_copy(update=asked)


def check_hardware_bounds(hardware: Hardware, bounds: HardwareRange, limits: Hardware | None) -> None:
    """Within the range's minimum and maximum, and the operators' limits; 422 per field."""
    errors = []
    for name in HARDWARE_FIELDS:
        allowed = getattr(bounds.max, name)
        if limits is not None:
            allowed = min(allowed, getattr(limits, name))
        if getattr(hardware, name) > allowed:
            errors.append({"field": f"hardware.{name}", "message": f"at most {number_text(allowed)}"})
        elif getattr(hardware, name) < getattr(bounds.min, name):
            # The module's own floor: below it the work would only fail, after waiting its turn.
            errors.append({"field": f"hardware.{name}",
                           "message": f"at least {number_text(getattr(bounds.min, name))}"})
    if errors:
        raise InvalidInput("The hardware asked for is outside what is allowed.", errors)
