"""The ``--set KEY=VALUE`` flag the tools share: config keys overridden on the command line.

``train.py``, ``eval.py``, ``infer.py``, ``check_data.py`` and ``anchors.py`` add it with
:func:`add_set_flag`; each passes the keys it overrides and its own examples. The values go to
:mod:`detseg.config` as they were written (``args.set``, a list of ``KEY=VALUE`` strings).
Nothing here imports torch (``--help`` stays fast).
"""

from __future__ import annotations

import argparse

__all__ = ["add_set_flag"]


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
