"""Every flag of every ``tools/*.py`` (and of each ``benchmark.py`` command) has help text, and
the help of a flag with a default value states it.

The parser is caught in process: ``ArgumentParser.parse_args`` is replaced by one that stops
with the parser it was called on, so no tool runs.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import pytest
import torch
from tool_modules import load_tool

TOOLS = sorted(
    path.name
    for path in (Path(__file__).resolve().parents[2] / "tools").glob("*.py")
    if "\ndef cli(" in path.read_text()  # a command's script, not a module they share
)


class _Caught(Exception):
    """Raised in place of parsing: carries the parser the tool built."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__()
        self.parser = parser


def _tool_parser(name: str, monkeypatch) -> argparse.ArgumentParser:
    """The top-level ``ArgumentParser`` of ``tools/<name>``."""
    module = load_tool(name)
    if hasattr(module, "build_parser"):
        return module.build_parser()

    def catch(self, args=None, namespace=None):
        raise _Caught(self)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", catch)
    monkeypatch.setattr(sys, "argv", [name])
    with pytest.raises(_Caught) as caught:
        module.parse_args()
    return caught.value.parser


def _parsers(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    """``parser`` and its subcommands' parsers, each with its ``prog``."""
    found = [(parser.prog, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.extend(_parsers(sub))
    return found


def _problems(parser: argparse.ArgumentParser) -> list[str]:
    """The flags of ``parser`` without help, or whose help leaves their default unsaid."""
    problems = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        name = "/".join(action.option_strings) or action.dest
        if not action.help or action.help == argparse.SUPPRESS:
            problems.append(f"{name}: no help text")
            continue
        if _default_unsaid(parser, action):
            problems.append(f"{name}: default {action.default!r} not in its help")
    return problems


def _default_unsaid(parser: argparse.ArgumentParser, action: argparse.Action) -> bool:
    """A flag taking a value whose default (not ``None``, not an empty list) its help leaves
    out; a parser formatted by ``ArgumentDefaultsHelpFormatter`` appends it itself."""
    if not action.option_strings or action.nargs == 0 or action.required:
        return False
    if action.default in (None, [], argparse.SUPPRESS):
        return False
    if issubclass(parser.formatter_class, argparse.ArgumentDefaultsHelpFormatter):
        return False
    return "default" not in str(action.help)


@pytest.mark.parametrize("name", TOOLS)
def test_every_flag_has_help_and_its_default(name, monkeypatch):
    problems = [
        f"{prog} {problem}"
        for prog, parser in _parsers(_tool_parser(name, monkeypatch))
        for problem in _problems(parser)
    ]
    assert not problems, problems


def _examples(prog: str, text: str) -> list[list[str]]:
    """The example command lines in ``text`` that start with ``prog`` (a usage name), as
    argument lists after ``prog`` (``\\`` joins lines, ``#`` starts a comment)."""
    examples = []
    for line in text.replace("\\\n", " ").splitlines():
        if line.strip().startswith(prog + " "):
            examples.append(shlex.split(line, comments=True)[len(prog.split()) :])
    return examples


def _needs_cuda(argv: list[str]) -> bool:
    """An example for a GPU (``--device cuda``), refused by argparse on a machine without one."""
    return any(word.startswith("cuda") for word in argv) and not torch.cuda.is_available()


@pytest.mark.parametrize("name", TOOLS)
def test_every_help_shows_example_command_lines_that_parse(name, monkeypatch):
    top = _tool_parser(name, monkeypatch)
    monkeypatch.undo()  # parse_args as it is again
    top_prog = top.prog.split()
    for prog, parser in _parsers(top):
        help_text = parser.format_help()
        examples = _examples(prog, help_text)
        assert examples, f"{prog} --help shows no example command line"
        written = _examples(prog, "\n".join(filter(None, (parser.description, parser.epilog))))
        assert examples == written, f"{prog} --help rewraps its example command lines"
        for argv in examples:
            if _needs_cuda(argv):
                continue
            top.parse_args(prog.split()[len(top_prog) :] + argv)  # exits 2 on an argparse error


@pytest.mark.parametrize("name", TOOLS)
def test_every_choice_of_a_flag_is_in_the_help(name, monkeypatch):
    missing = [
        f"{prog} {'/'.join(action.option_strings) or action.dest}: {choice}"
        for prog, parser in _parsers(_tool_parser(name, monkeypatch))
        for action in parser._actions
        if action.choices is not None and not isinstance(action, argparse._SubParsersAction)
        for choice in action.choices
        if str(choice) not in parser.format_help()
    ]
    assert not missing, missing
