"""Graceful interruption: SIGINT / SIGTERM end training at the next step, with ``last.pt``.

Inside :class:`StopSignals` the first SIGINT (Ctrl-C) or SIGTERM (``kill``, a cluster
scheduler, ``torchrun`` shutting down its workers) only sets a flag; the training loop checks
it after every optimizer step (and between evaluation batches and at an evaluation's end),
writes ``last.pt`` with the position inside the epoch and exits with ``128 + signal number``.
A second signal interrupts at once (SIGINT raises ``KeyboardInterrupt``, SIGTERM takes its
default action: the process ends), for a run that must die now.

A test that needs a signal at a chosen step sends it from the ``after_step`` hook of
:func:`~detseg.engine.training.trainer.train`: it lands while the next step runs, as a real
signal would.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)


class StopSignals:
    """Context manager turning SIGINT and SIGTERM into a stop request.

    Outside the main thread (where Python cannot install handlers) it does nothing.

    Args:
        announce: log the stop request (a distributed run's rank 0 only: the signal reaches
            every process, and one line says it).

    Attributes:
        signum: the signal received, or ``None``.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, announce: bool = True) -> None:
        self.signum: int | None = None
        self.announce = announce
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        """A stop was asked for."""
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        """``128 + signal number`` (130 for SIGINT, 143 for SIGTERM), the shell convention."""
        return 128 + (self.signum or 0)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None:  # second signal: stop now
            signal.signal(signum, self._previous.get(signum, signal.SIG_DFL))
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            os.kill(os.getpid(), signum)
            return
        self.signum = signum
        if not self.announce:
            return
        logger.warning(
            "%s received: stopping after the current step and writing last.pt "
            "(send it again to stop at once)",
            signal.Signals(signum).name,
        )

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
