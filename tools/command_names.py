"""The name of a tool in its help and error lines: the way the user started it.

A tool started as its installed command (``detseg-train``, see ``[project.scripts]`` in
pyproject.toml) calls itself that in its usage line, its examples and its error lines
(``detseg-train: error: ...``), and writes the other tools as their commands too
(``detseg-convert``). Started as a script of a checkout, its usage line and examples read
``python tools/train.py`` and its error lines start with the tool's short name
(``train: error: ...``: one word, as :mod:`detseg.engine.runtime.launcher` finds error lines).

Each tool builds its parser with :func:`tool_parser` and passes :attr:`ToolName.error_name` to
:func:`detseg.command_line.run_command`. Nothing here imports torch (``--help`` stays fast).
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

__all__ = [
    "COMMANDS",
    "STARTED_AS_ENV",
    "ExamplesDefaultsHelpFormatter",
    "ExamplesHelpFormatter",
    "ToolArgumentParser",
    "ToolName",
    "tool_name",
    "tool_parser",
]

#: The installed command of each tool, by the stem of its script (``[project.scripts]``).
COMMANDS = {
    "anchors": "detseg-anchors",
    "benchmark": "detseg-benchmark",
    "check_data": "detseg-check-data",
    "convert_dataset": "detseg-convert",
    "convert_torchvision": "detseg-convert-torchvision",
    "eval": "detseg-eval",
    "export": "detseg-export",
    "infer": "detseg-infer",
    "make_shapes": "detseg-make-shapes",
    "train": "detseg-train",
}

#: The environment variable naming the command that started a tool, for the processes a tool
#: starts of itself as a script (``detseg-train --nproc 2`` runs ``detseg_tools/train.py``).
STARTED_AS_ENV = "DETSEG_STARTED_AS"

#: A tool named in a text: ``python tools/train.py``, ``tools/train.py`` or ``train.py`` (not a
#: file of another folder, such as ``detseg/engine/training/train.py``).
_SCRIPT_NAME = re.compile(r"(?<![\w/.-])(?:python )?(?:tools/)?(?P<stem>\w+)\.py\b")

#: A config of the checkout's configs/ folder named by its path (``configs/demo.yaml``,
#: ``configs/datasets/voc.yaml``; not a pattern such as ``configs/datasets/*.yaml``, nor a
#: ``configs`` folder elsewhere): the installed package carries it under its packaged name.
_CONFIG_PATH = re.compile(r"(?<![\w/.~-])configs/(?P<name>[\w-]+(?:/[\w-]+)*)\.yaml\b")


@dataclass(frozen=True)
class ToolName:
    """How the running tool was started.

    Attributes:
        command: What starts it: ``detseg-train``, or ``python tools/train.py`` for a script.
        error_name: The prefix of its error lines: ``detseg-train``, or ``train`` for a script.
        installed: Whether it was started as its installed command.
    """

    command: str
    error_name: str
    installed: bool

    def examples(self, text: str) -> str:
        """``text`` with the tools it names written as this way of starting them: for an
        installed command, ``python tools/convert_dataset.py``, ``tools/convert_dataset.py``
        and ``convert_dataset.py`` become ``detseg-convert``; for a script it is unchanged."""
        if not self.installed:
            return text
        return _SCRIPT_NAME.sub(lambda found: COMMANDS.get(found["stem"], found[0]), text)

    def help_text(self, text: str) -> str:
        """A text of ``--help`` for this way of starting the tool: :meth:`examples`, and for an
        installed command a config path ``configs/demo.yaml`` written as its packaged name
        ``demo`` (what CONFIG takes from any folder: an installed detseg has no configs/
        folder). Error lines keep their paths: they may quote a user's own configs/ file."""
        text = self.examples(text)
        if not self.installed:
            return text
        return _CONFIG_PATH.sub(lambda found: found["name"], text)


def tool_name(tool: str) -> ToolName:
    """The name of tool ``tool`` (the stem of its script, e.g. ``"train"``) as it was started:
    its installed command when ``sys.argv[0]`` (or :data:`STARTED_AS_ENV`) is that command,
    else the script of a checkout."""
    command = COMMANDS[tool]
    started = os.environ.get(STARTED_AS_ENV) or Path(sys.argv[0]).name
    if started.lower().endswith(".exe"):  # a console script on Windows
        started = started[: -len(".exe")]
    if started == command:
        return ToolName(command, command, installed=True)
    return ToolName(f"python tools/{tool}.py", tool, installed=False)


class ExamplesHelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that a paragraph of a description or epilog (text between
    blank lines) with an indented line, such as a block of example command lines, is shown as
    written; the other paragraphs are wrapped to the terminal's width."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
        return "\n\n".join(
            "\n".join(indent + line for line in part.splitlines())
            if any(line[:1].isspace() for line in part.splitlines())
            else super(ExamplesHelpFormatter, self)._fill_text(part, width, indent)
            for part in paragraphs
        )


class ExamplesDefaultsHelpFormatter(ExamplesHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """:class:`ExamplesHelpFormatter` that also appends each flag's default to its help."""


class ToolArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` that names the tool as it was started (:class:`ToolName`):
    in the usage line (``prog``), in its error lines, and wherever its help or an error
    message names a tool; its help names the configs as an installed detseg has them.
    Sub-command parsers are of the same kind. Its help is formatted by
    :class:`ExamplesHelpFormatter` unless ``formatter_class`` says otherwise."""

    def __init__(self, *args: Any, name: ToolName, **kwargs: Any) -> None:
        kwargs.setdefault("prog", name.command)
        kwargs.setdefault("formatter_class", ExamplesHelpFormatter)
        super().__init__(*args, **kwargs)
        self.name = name

    def format_help(self) -> str:
        """The help, with the tools and configs it names written as the user has them
        (:meth:`ToolName.help_text`) before argparse wraps the lines."""
        self.description = self.description and self.name.help_text(self.description)
        self.epilog = self.epilog and self.name.help_text(self.epilog)
        for action in self._actions:
            for shown in [action, *getattr(action, "_choices_actions", [])]:
                if isinstance(shown.help, str):
                    shown.help = self.name.help_text(shown.help)
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        """The usage line and ``<error name>: error: <message>``, exit code 2."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.name.error_name}: error: {self.name.examples(message)}\n")

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("parser_class", functools.partial(ToolArgumentParser, name=self.name))
        return super().add_subparsers(**kwargs)


def tool_parser(
    tool: str, parser_class: type[ToolArgumentParser] = ToolArgumentParser, **kwargs: Any
) -> ToolArgumentParser:
    """The parser of tool ``tool`` (the stem of its script) named as it was started.

    Args:
        tool: The stem of the tool's script, e.g. ``"train"``.
        parser_class: A subclass of :class:`ToolArgumentParser` (its own arguments given by
            keyword, e.g. ``argv=...``).
        **kwargs: ``argparse.ArgumentParser`` arguments (``description``, ``epilog``, ...).
    """
    return parser_class(name=tool_name(tool), **kwargs)
