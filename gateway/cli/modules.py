"""``gateway modules [NAME]``: the catalog a deployment or job can name, filtered or one module."""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

from gateway.cli.errors import Exit
from gateway.cli.output import fields, hardware, print_json, print_object, table
from gateway.cli.parsing import VerbAdder
from gateway.cli.session import Session


def _matches(module: dict[str, Any], args: argparse.Namespace) -> bool:
    if args.gpu and not module["hardware"]["max"].get("gpus"):
        return False
    return args.service is None or args.service in module.get("services", ())


def render_module(module: dict[str, Any]) -> str:
    ranges = module["hardware"]
    minimum = ranges.get("min") or {}
    pairs = [("name", module["name"]), ("title", module.get("title", "")),
             ("image", f"{module['image']}:{module['tags']['cpu']} "
                       f"(with GPUs :{module['tags']['gpu']})"),
             ("services", ", ".join(module.get("services", ()))),
             ("default", hardware(ranges["default"])), ("max", hardware(ranges["max"]))]
    if any(minimum.values()):
        pairs.append(("min", hardware(minimum)))
    if module.get("keywords"):
        pairs.append(("keywords", ", ".join(module["keywords"])))
    text = fields(pairs)
    return text + (f"\n\n{module['description']}" if module.get("description") else "")


def cmd_modules(session: Session, args: argparse.Namespace) -> Exit:
    if args.name:
        module = session.json("GET", f"/v1/modules/{quote(args.name, safe='')}")
        print_object(args.output, module, render_module)
        return Exit.OK
    items = [m for m in session.all_items("/v1/modules", {}) if _matches(m, args)]
    if args.output == "json":
        print_json({"items": items, "next": None})
    else:
        print(table([[m["name"], ",".join(m.get("services", ())),
                      str(m["hardware"]["max"].get("gpus", 0)), m.get("title", "")]
                     for m in items], ["NAME", "SERVICES", "MAX GPUS", "TITLE"]))
    return Exit.OK


def add_module_commands(verb: VerbAdder) -> None:
    modules = verb("modules", cmd_modules, "the module catalog: list it (filtered) or show one "
                                           "module")
    modules.add_argument("name", nargs="?", help="show this module: image, services, hardware "
                                                 "default and maximum")
    modules.add_argument("--gpu", action="store_true", help="only modules that may use GPUs")
    modules.add_argument("--service", choices=("deepaas", "jupyter"),
                         help="only modules that run this service")
