"""The catalog, a module's page, and the deploy form (which offers only what the user may ask)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from gateway.api.deps import DeploymentsDep, EdgesDep
from gateway.catalog import Module
from gateway.deployments import Created
from gateway.edges import Edges
from gateway.errors import NotFound
from gateway.models import DeploymentRequest
from gateway.web import forms
from gateway.web.context import PostedForm, UiDep
from gateway.web.errors import WebRoute
from gateway.web.pages import Ui
from gateway.web.quota_view import fits, quota_view

router = APIRouter(prefix="/ui", route_class=WebRoute, include_in_schema=False)

DEPLOY_INPUTS = {"service", "hardware.cpus", "hardware.memory", "hardware.disk", "hardware.gpus",
                 "env", "storage.rclone_url", "storage.rclone_vendor", "storage.rclone_user",
                 "storage.rclone_password", "jupyter_password", "description"}


def _module(edges: Edges, name: str) -> Module:
    module = edges.catalog.get(name)
    if module is None:
        raise NotFound(f"There is no module {name!r} in the catalog.")
    return module.within(edges.templates.limits)


@router.get("/", name="ui_home")
async def catalog(ui: UiDep, edges: EdgesDep, q: str = "", gpu: bool = False,
                  service: str = "") -> Response:
    words = q.lower().split()
    modules = [m.within(edges.templates.limits) for m in edges.catalog.modules]

    def matches(module: Module) -> bool:
        text = " ".join((module.name, module.title, module.description, *module.keywords)).lower()
        return (all(word in text for word in words)
                and (not gpu or module.hardware.max.gpus > 0)
                and (not service or service in module.services))

    return ui.render("catalog.html", modules=[m for m in modules if matches(m)], q=q, gpu=gpu,
                     service=service, total=len(modules))


@router.get("/modules/{name}", name="module_page")
async def module_page(name: str, ui: UiDep, edges: EdgesDep) -> Response:
    return ui.render("module.html", module=_module(edges, name))


async def _deploy_form(ui: Ui, edges: Edges, module: Module, *, values: dict[str, str],
                       errors: forms.FieldErrors, status: int = 200) -> Response:
    assert ui.user is not None
    quota = await quota_view(edges.quotas, ui.user)
    caps = quota.caps(module.hardware.max)
    return ui.render("deploy.html", status=status, module=module, quota=quota, caps=caps,
                     fits=fits(module, caps), values=values, errors=errors)


@router.get("/modules/{name}/deploy", name="deploy_form")
async def deploy_form(name: str, ui: UiDep, edges: EdgesDep) -> Response:
    module = _module(edges, name)
    default = module.hardware.default
    values = {"service": module.services[0], "hardware.cpus": f"{default.cpus:g}",
              "hardware.memory": str(default.memory), "hardware.disk": str(default.disk),
              "hardware.gpus": str(default.gpus), "storage.rclone_vendor": "nextcloud"}
    return await _deploy_form(ui, edges, module, values=values, errors={})


@router.post("/modules/{name}/deploy", name="deploy_submit")
async def deploy_submit(name: str, form: PostedForm, ui: UiDep, edges: EdgesDep,
                        deployments: DeploymentsDep) -> Response:
    module = _module(edges, name)
    assert ui.user is not None
    errors: forms.FieldErrors = {}
    data = {"module": module.name, "service": form.get("service"),
            "hardware": forms.hardware(form, errors), "env": forms.env(form, errors),
            "storage": forms.storage(form), "description": form.get("description")}
    if form.get("jupyter_password") or data["service"] == "jupyter":
        data["jupyter_password"] = form.get("jupyter_password") or None
    user = ui.user

    async def create() -> Created:
        request = await forms.build(DeploymentRequest, data, errors, DEPLOY_INPUTS,
                                    check=deployments.resolve)
        return await deployments.create(request, user)

    created, errors = await forms.submit(create, DEPLOY_INPUTS)
    if created is not None:
        return RedirectResponse(ui.url("deployment_page", deployment_id=created.deployment.id),
                                status_code=303)
    return await _deploy_form(ui, edges, module, values=forms.shown_values(form), errors=errors,
                              status=422)
