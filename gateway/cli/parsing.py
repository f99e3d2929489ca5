"""How every verb of the ``gateway`` command is declared: one help style, one way to add a verb.

Every option says what it does and, when it has one, its default; the texts are plain (they
are read in a terminal, not rendered), so no reStructuredText markup belongs in them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.cli.errors import Exit


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends "(default: X)" where there is a default worth reading (not None, not a flag off)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or "%(default)" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


ClientFunc = Callable[[Any, argparse.Namespace], Exit]


@dataclass
class VerbAdder:
    """Adds client verbs to ``sub``; each takes the connection options and runs through ``runner``."""

    sub: Any  # argparse's _SubParsersAction, which it does not export
    common: argparse.ArgumentParser
    runner: Callable[[argparse.Namespace], int]

    def __call__(self, name: str, func: ClientFunc, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self.sub.add_parser(
            name, parents=[self.common], help=help_text, description=help_text[:1].upper() +
            help_text[1:] + ".", formatter_class=HelpFormatter)
        parser.set_defaults(func=self.runner, client_func=func)
        return parser


def add_list_verb(verb: VerbAdder, func: ClientFunc, what: str) -> None:
    """``list``, with ``--all`` for administrators, as deployments and jobs both have it."""
    verb("list", func, f"your {what}").add_argument(
        "--all", action="store_true", help=f"administrators: everyone's {what}, with their owners")


def add_wait_options(parser: argparse.ArgumentParser, what: str, timeout: float) -> None:
    parser.add_argument("--wait", action="store_true",
                        help=f"wait until {what}, showing progress on stderr (exit 1 if it fails, "
                             "124 on timeout); with -o json, print the final state")
    parser.add_argument("--timeout", type=float, default=timeout, metavar="SECONDS",
                        help="how long --wait waits before giving up")
    parser.add_argument("--interval", type=float, default=2.0, metavar="SECONDS",
                        help="how often --wait asks the gateway")


def env_pair(text: str) -> tuple[str, str]:
    """``--env NAME=VALUE`` as a pair; the value may itself hold ``=``."""
    name, sign, value = text.partition("=")
    if not sign or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return name.strip(), value


def add_change_options(parser: argparse.ArgumentParser) -> None:
    """The options both ``update`` verbs share: only the ones given are sent."""
    parser.add_argument("--cpus", type=float, metavar="N", help="CPUs (default: unchanged)")
    parser.add_argument("--memory", type=int, metavar="MIB", help="memory in MiB "
                                                                  "(default: unchanged)")
    parser.add_argument("--gpus", type=int, metavar="N", help="GPUs (default: unchanged)")
    parser.add_argument("--env", type=env_pair, action="append", metavar="NAME=VALUE",
                        help="an environment variable; repeat for more. The ones given replace "
                             "the whole environment you set before (default: unchanged)")
    parser.add_argument("--description", metavar="TEXT",
                        help="a new description; \"\" removes it (default: unchanged)")


def change_body(args: argparse.Namespace, hardware_names: tuple[str, ...]) -> dict[str, Any]:
    """The PATCH body from the options given: hardware only the amounts given."""
    body: dict[str, Any] = {}
    hardware = {name: getattr(args, name) for name in hardware_names
                if getattr(args, name) is not None}
    if hardware:
        body["hardware"] = hardware
    if args.env is not None:
        body["env"] = dict(args.env)
    if args.description is not None:
        body["description"] = args.description
    return body
