"""The share of a training loop's time spent waiting for data (``data_wait``).

:class:`DataWaitClock` times every ``next()`` on the loader. It measures host time: on a GPU
the device may still run the previous step while the host waits, which is what prefetching
workers are for, so no synchronisation is needed. A share near 0 means the model is the
bottleneck; a large one calls for more ``train.num_workers`` or cheaper augmentations.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any


class DataWaitClock:
    """Seconds spent waiting for the loader's batches, against the wall time, over three
    spans: the current step, the steps since the last record (the window) and the whole epoch.
    Every span is continuous (it starts where the one before ended), so the shares account for
    all the time, checkpoints and logging included.

    Attributes:
        start: ``time.perf_counter()`` when the clock was made (the epoch's start).
        total, step, window: seconds waited in the epoch, the step, the window.
        last_step: wall seconds of the step that :meth:`end_step` ended last (0 before).
    """

    def __init__(self) -> None:
        self.start = self.step_start = self.window_start = time.perf_counter()
        self.total = self.step = self.window = 0.0
        self.last_step = 0.0

    def batches(self, loader: Iterable[Any]) -> Iterator[Any]:
        """The loader's batches, each ``next()`` timed."""
        iterator = iter(loader)
        while True:
            before = time.perf_counter()
            try:
                batch = next(iterator)
            except StopIteration:
                return
            waited = time.perf_counter() - before
            self.total += waited
            self.step += waited
            self.window += waited
            yield batch

    @staticmethod
    def _share(waited: float, since: float) -> float:
        elapsed = time.perf_counter() - since
        return min(max(waited / elapsed, 0.0), 1.0) if elapsed > 0 else 0.0

    def end_step(self) -> float:
        """The share of the step that ends now spent waiting; the next step starts now.
        The step's wall time is kept in ``last_step``."""
        self.last_step = time.perf_counter() - self.step_start
        share = self._share(self.step, self.step_start)
        self.step, self.step_start = 0.0, time.perf_counter()
        return share

    def end_window(self) -> float:
        """The share since the last call (or the start) spent waiting; a new window starts."""
        share = self._share(self.window, self.window_start)
        self.window, self.window_start = 0.0, time.perf_counter()
        return share

    def epoch_share(self) -> float:
        """The share of the whole call spent waiting."""
        return self._share(self.total, self.start)
