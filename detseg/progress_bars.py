"""The progress bar of a long operation, shown where a person watches.

Long work that a tool runs (reading a dataset, k-means, a benchmark's timed calls) takes
``progress: bool | None``: ``None`` shows a tqdm bar on stderr only when stderr is a terminal, so
that a log piped to a file or a CI job stays free of bar lines; ``True`` always; ``False``
never. Imports nothing from detseg (the bottom layer of ``docs/ARCHITECTURE.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tqdm import tqdm

__all__ = ["progress_bar"]


def progress_bar(
    iterable: Iterable[Any] | None = None, *, progress: bool | None = None, **options: Any
) -> tqdm[Any]:
    """A tqdm bar over ``iterable`` (or one updated by hand when ``None``), left on screen
    only while it runs (``leave=False`` unless ``options`` say otherwise).

    Args:
        iterable: what the bar counts, or ``None`` for a bar updated with ``bar.update(n)``.
        progress: ``None`` shows it only when stderr is a terminal, ``True`` always, ``False``
            never.
        options: tqdm's own keywords (``desc``, ``total``, ``unit`` ...).
    """
    options.setdefault("leave", False)
    return tqdm(iterable, disable=None if progress is None else not progress, **options)
