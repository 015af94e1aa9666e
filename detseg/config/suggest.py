"""The "did you mean" hint of error messages about a mistyped name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: How similar (``difflib.SequenceMatcher.ratio``, 0..1) a choice must be to be suggested.
CUTOFF = 0.5


def did_you_mean(
    name: str, choices: Iterable[str], prefix: str = "", cutoff: float = CUTOFF
) -> str:
    """The hint ``"; did you mean '<choice>'?"`` for the choice closest to ``name``.

    Meant to follow the part of a message that names the wrong value::

        raise ValueError(f"unknown backbone {name!r}{did_you_mean(name, BACKBONES)}")

    Args:
        name: the mistyped name.
        choices: the valid names.
        prefix: written before the suggested choice, e.g. the section ``"train."`` of a config
            key whose last part alone is compared.
        cutoff: the least similarity of a suggestion; lower it for very short names (``"p"``
            is 0.4 similar to ``"prob"``).

    Returns:
        The hint, or ``""`` when no choice is at least ``cutoff`` similar to ``name``.
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=cutoff)
    return f"; did you mean '{prefix}{close[0]}'?" if close else ""


def close_names(name: str, choices: Iterable[str], n: int = 3, cutoff: float = CUTOFF) -> list[str]:
    """The (at most ``n``) choices closest to ``name``, closest first, each at least ``cutoff``
    similar: the several candidates of a name picked from a long list (a packaged config),
    where :func:`did_you_mean` names one."""
    return difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=cutoff)
