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


def add_wait_options(parser: argparse.ArgumentParser, what: str, timeout: float) -> None:
    parser.add_argument("--wait", action="store_true",
                        help=f"wait until {what}, showing progress on stderr (exit 1 if it fails, "
                             "124 on timeout); with -o json, print the final state")
    parser.add_argument("--timeout", type=float, default=timeout, metavar="SECONDS",
                        help="how long --wait waits before giving up")
    parser.add_argument("--interval", type=float, default=2.0, metavar="SECONDS",
                        help="how often --wait asks the gateway")
