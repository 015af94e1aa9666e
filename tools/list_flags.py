"""Flags that take every word up to the next flag (``--set``, ``--classes``, ``--verify-images``,
``--input-size``): which words of a command line each flag took, and the one error line for a
positional argument one of them took.

``train.py --set train.epochs=2 configs/demo.yaml`` gives the config to ``--set``, and argparse
alone then says only that CONFIG is missing. Each tool's parser derives from
:class:`ListFlagArgumentParser`, asks :meth:`~ListFlagArgumentParser.taken_words` which flag
took which word, decides by its own rule which word is the misplaced argument (a word without
``=`` after ``--set``, a path after ``--classes``, a checkpoint after ``--verify-images``), and
says so with :func:`read_as_flag_words`. Nothing here imports torch (``--help`` stays fast).
"""

from __future__ import annotations

import argparse
import re
from typing import Any, NamedTuple

from detseg_tools.command_names import ToolArgumentParser

__all__ = ["ListFlagArgumentParser", "TakenWord", "read_as_flag_words"]


class TakenWord(NamedTuple):
    """A word of the command line that is no flag, and what reads it.

    Attributes:
        word: the word as typed.
        flag: the flag whose value it is (its first long option string, ``--set`` also for
            ``--se``), or ``None`` for a positional argument.
    """

    word: str
    flag: str | None


class ListFlagArgumentParser(ToolArgumentParser):
    """A :class:`ToolArgumentParser` that knows its command line's words, to explain an error
    caused by a flag that took every word up to the next flag.

    Args:
        argv: the command line's words (``sys.argv[1:]``).
        **kwargs: as :class:`ToolArgumentParser`.
    """

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.argv = argv

    def taken_words(self) -> list[TakenWord]:
        """Each word of :attr:`argv` that is no flag, with the flag that takes it, as argparse
        reads the line: a flag in full or as its unique abbreviation, ``--flag=value`` taking
        no further word, a negative number a value, every word after ``--`` positional."""
        words: list[TakenWord] = []
        flag, wanted = None, 0  # the flag whose values come next; -1: every word
        for index, word in enumerate(self.argv):
            if word == "--":
                words += [TakenWord(rest, None) for rest in self.argv[index + 1 :]]
                break
            if word.startswith("-") and not _is_number(word):
                action = self._flag_action(word)
                flag = _flag_name(action) if action is not None else None
                wanted = 0 if action is None or "=" in word else _words_taken(action)
            elif wanted != 0:
                words.append(TakenWord(word, flag))
                if wanted > 0:
                    wanted -= 1
            else:
                words.append(TakenWord(word, None))
        return words

    def _flag_action(self, word: str) -> argparse.Action | None:
        """The action of the flag ``word`` names (in full, or as its unique abbreviation, as
        argparse reads it); ``None`` for no flag of the tool."""
        name = word.split("=", 1)[0]
        actions = self._option_string_actions
        if name in actions:
            return actions[name]
        found = {action for option, action in actions.items() if option.startswith(name)}
        return found.pop() if len(found) == 1 else None


def read_as_flag_words(word: str, flag: str, read_as: str, fix: str) -> str:
    """The error line for ``word``, a positional argument taken by list flag ``flag``:
    ``'<word>' was read as <read_as> (<flag> takes every word up to the next flag); <fix>``.

    Args:
        word: the word taken.
        flag: the flag that took it (``--set``).
        read_as: what the flag read it as (``a --set item``, ``--verify-images PATH``).
        fix: the order that works (``put CONFIG before --set: ...``).
    """
    return f"{word!r} was read as {read_as} ({flag} takes every word up to the next flag); {fix}"


def _flag_name(action: argparse.Action) -> str:
    """The name of ``action``'s flag in a message: its first long option string."""
    return next((o for o in action.option_strings if o.startswith("--")), action.option_strings[0])


def _words_taken(action: argparse.Action) -> int:
    """How many words after its flag ``action`` takes: ``-1`` for every word up to the next
    flag (``nargs`` ``+`` or ``*``)."""
    if action.nargs in ("+", "*"):
        return -1
    if action.nargs is None:
        return 1
    return int(action.nargs) if isinstance(action.nargs, int) else 1


#: A negative number as argparse tells it from a flag (``-1``, ``-.5``; not ``-inf``, ``-1e3``).
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


def _is_number(word: str) -> bool:
    """``word`` is a negative number that argparse reads as a value rather than a flag (its
    own rule: ``-inf`` and ``-1e3`` are flags to it)."""
    return _NEGATIVE_NUMBER.match(word) is not None
