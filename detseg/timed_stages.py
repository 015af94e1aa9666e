"""The log lines of a long stage that has nothing to count: what runs, then how long it took.

Work that keeps a tool busy for seconds to minutes without a loop to count (tracing a model,
writing a file, building a model) is announced by an INFO line when it starts, ``<what> ...``,
and closed by one with the elapsed seconds when it ends, ``<what>: done in <s> s``; loops count
with :func:`detseg.progress_bars.progress_bar` instead. A stage that raises logs no closing line:
the error says what went wrong. The lines go to the caller's logger, which the tools print on
stderr (``logging.basicConfig``), so a standard output that a user pipes to a file keeps only
the results. Imports nothing from detseg (the bottom layer of ``docs/ARCHITECTURE.md``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["timed_stage"]


@contextmanager
def timed_stage(logger: logging.Logger, what: str) -> Iterator[None]:
    """Log ``<what> ...`` now and ``<what>: done in <s> s`` when the block ends without an
    error (INFO, on ``logger``).

    Args:
        logger: the logger of the module that does the work.
        what: the stage, e.g. ``"tracing faster_rcnn on a [1, 3, 800, 800] example"``.
    """
    logger.info("%s ...", what)
    start = time.perf_counter()
    yield
    logger.info("%s: done in %.1f s", what, time.perf_counter() - start)
