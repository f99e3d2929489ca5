"""`gateway ... --help` explains every verb, argument and option, shows defaults, and is plain
text; the sim's help names the command the user typed."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from gateway import __version__
from gateway.cli import main
from gateway.cli.main import build_parser
from simcluster.cli import build_parser as build_sim_parser


def _parsers(parser: argparse.ArgumentParser, path: str = "gateway"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


ALL = [*_parsers(build_parser()), ("gateway sim", build_sim_parser("gateway sim"))]


@pytest.mark.parametrize(("path", "parser"), ALL, ids=[path for path, _ in ALL])
def test_every_argument_and_option_has_help_and_shows_its_default(path, parser):
    text = parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction |
                      argparse._VersionAction):
            continue
        name = action.option_strings[-1] if action.option_strings else action.dest
        assert action.help and action.help != argparse.SUPPRESS, f"{path} {name} has no help"
        if action.default not in (None, False, argparse.SUPPRESS):
            assert f"(default: {action.default})" in " ".join(text.split()), (path, name)


@pytest.mark.parametrize(("path", "parser"), ALL, ids=[path for path, _ in ALL])
def test_help_is_plain_text_without_markup(path, parser):
    text = parser.format_help()
    assert "``" not in text and ":class:" not in text


def test_the_sims_help_names_it_gateway_sim():
    done = subprocess.run([sys.executable, "-m", "gateway", "sim", "--help"], capture_output=True,
                          text=True, check=True)
    assert done.stdout.startswith("usage: gateway sim ")


def test_version_prints_the_packages_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"gateway {__version__}"


@pytest.mark.parametrize("verb", ["restart", "modules", "me", "dev-token"])
def test_the_verbs_users_reach_for_exist(verb, capsys):
    with pytest.raises(SystemExit) as stop:
        main([verb, "--help"])
    assert stop.value.code == 0 and f"usage: gateway {verb}" in capsys.readouterr().out


def test_shell_completion_comes_from_argcomplete(tmp_path):
    # What the shell runs on <TAB> after `eval "$(register-python-argcomplete gateway)"`.
    answer = tmp_path / "completions"
    line = "gateway jobs su"
    env = {"_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
           "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(answer),
           "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "gateway"], env=env, capture_output=True, check=True,
                   timeout=60)
    assert answer.read_text().split() == ["submit"]
