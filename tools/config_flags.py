"""The ``--set KEY=VALUE`` flag the tools share: config keys overridden on the command line.

``train.py``, ``eval.py``, ``infer.py``, ``check_data.py`` and ``anchors.py`` add it with
:func:`add_set_flag`; each passes the keys it overrides and its own examples. The values go to
:mod:`detseg.config` as they were written (``args.set``, a list of ``KEY=VALUE`` strings).
:class:`SetFlagArgumentParser` explains the two mistakes the flag invites (the words each flag
took: :mod:`detseg_tools.list_flags`, which the tools' other list flags share). Nothing here
imports torch (``--help`` stays fast).
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from detseg_tools.list_flags import ListFlagArgumentParser, read_as_flag_words

__all__ = ["SetFlagArgumentParser", "add_set_flag"]


class SetFlagArgumentParser(ListFlagArgumentParser):
    """A :class:`~detseg_tools.list_flags.ListFlagArgumentParser` whose error for a missing
    first argument says when ``--set`` took it, and whose error for ``KEY=VALUE`` words after
    another flag says to write ``--set`` there.

    ``--set`` takes every word up to the next flag, so ``train.py --set train.epochs=2
    configs/demo.yaml`` gives the config to ``--set``, and argparse alone would only say that
    CONFIG is missing; ``train.py CONFIG --set a=1 --work-dir runs/x b=2`` leaves ``b=2`` to
    no flag, and argparse alone would only say that it is unrecognized.

    Args:
        argv: the command line's words (``sys.argv[1:]``).
        first: what the tool calls its first argument in the message (``"CONFIG"``).
        **kwargs: as :class:`~detseg_tools.command_names.ToolArgumentParser`.
    """

    def __init__(self, argv: list[str], first: str = "CONFIG", **kwargs: Any) -> None:
        super().__init__(argv, **kwargs)
        self.first = first

    def error(self, message: str) -> NoReturn:
        super().error(self.explained(message))

    def explained(self, message: str, first_missing: bool = False) -> str:
        """``message`` with the reason where ``--set`` took the first argument (argparse's
        "arguments are required", or ``first_missing``: a tool's own check found no first
        argument) or left ``KEY=VALUE`` words to no flag; as it is otherwise."""
        taken = self.set_word_without_value()
        missing = "arguments are required" in message or first_missing
        if missing and taken is not None:
            return read_as_flag_words(
                taken,
                "--set",
                "a --set item",
                f"put {self.first} before --set: {self.prog} {self.first} --set KEY=VALUE ...",
            )
        unread = message.removeprefix("unrecognized arguments: ").split()
        overrides = all("=" in word and not word.startswith("-") for word in unread)
        if message.startswith("unrecognized arguments: ") and overrides:
            return (
                f"{message}: --set takes the words up to the next flag, so a KEY=VALUE after "
                f"another flag is not read; write --set before it: --set {' '.join(unread)}"
            )
        return message

    def set_word_without_value(self) -> str | None:
        """The first word ``--set`` took that is no ``KEY=VALUE`` (``None`` if none)."""
        return next(
            (t.word for t in self.taken_words() if t.flag == "--set" and "=" not in t.word), None
        )


def add_set_flag(
    parser: argparse.ArgumentParser, keys: str, example: str, notes: str = ""
) -> argparse.Action:
    """Add ``--set KEY=VALUE ...`` to ``parser``: every word up to the next flag, given any
    number of times (``--set a=1 --set b=2`` keeps both, as one ``--set a=1 b=2`` does; the
    default is no override, ``[]``).

    Its help reads ``"<keys>, e.g. <example>; may be given several times (the last value of
    a key wins)[; <notes>]"``.

    Args:
        parser: the tool's parser.
        keys: which keys it overrides, e.g. ``"override config keys"``.
        example: a few ``KEY=VALUE`` words (and what they do) for the help.
        notes: what else the help says of the flag (empty: nothing).

    Returns:
        the added action.
    """
    help_text = f"{keys}, e.g. {example}; may be given several times (the last value of a key wins)"
    return parser.add_argument(
        "--set",
        nargs="+",
        action="extend",  # --set a=1 --set b=2 keeps both, as one --set a=1 b=2 does
        default=[],
        metavar="KEY=VALUE",
        help=f"{help_text}; {notes}" if notes else help_text,
    )
