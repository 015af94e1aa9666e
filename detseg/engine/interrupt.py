"""Graceful interruption: SIGINT / SIGTERM end training at the next step, with ``last.pt``.

Inside :class:`StopSignals` the first SIGINT (Ctrl-C) or SIGTERM (``kill``, a cluster
scheduler, ``torchrun`` shutting down its workers) only sets a flag; the training loop checks
it after every optimizer step (and between evaluation batches), writes ``last.pt`` with the
position inside the epoch and exits with ``128 + signal number``. A second signal interrupts at
once (SIGINT raises ``KeyboardInterrupt``, SIGTERM takes its default action: the process ends),
for a run that must die now.

``DETSEG_INTERRUPT_AT_ITER=k`` (tests and demonstrations) makes the run send itself SIGINT right
after its ``k``-th step, after the stop check, so that the signal lands while step ``k + 1``
runs (fetching batches, forward, backward) and the run stops after step ``k + 1``, as with a
real signal. ``k:TERM`` sends SIGTERM; ``k:INT:group`` / ``k:TERM:group`` send it to the whole
process group, loader workers included, as a terminal's Ctrl-C or a scheduler does.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

#: Environment variable: send SIGINT to this process after this many iterations.
INTERRUPT_ENV = "DETSEG_INTERRUPT_AT_ITER"


class StopSignals:
    """Context manager turning SIGINT and SIGTERM into a stop request.

    Outside the main thread (where Python cannot install handlers) it does nothing.

    Attributes:
        signum: the signal received, or ``None``.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
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


def interrupt_signal_at(iterations_done: int) -> tuple[int, bool] | None:
    """``(signal, to the process group?)`` that ``DETSEG_INTERRUPT_AT_ITER`` asks for after this
    many iterations, if any.

    Raises:
        ValueError: the variable is not ``<k>[:INT|TERM[:group]]``.
    """
    value = os.environ.get(INTERRUPT_ENV)
    if not value:
        return None
    count, _, rest = value.strip().partition(":")
    name, _, target = rest.partition(":")
    signals = {"": signal.SIGINT, "INT": signal.SIGINT, "TERM": signal.SIGTERM}
    if not count.isdigit() or name.upper() not in signals or target not in ("", "group"):
        raise ValueError(f"{INTERRUPT_ENV}={value!r}: expected <iterations>[:INT|TERM[:group]]")
    if int(count) != iterations_done:
        return None
    return signals[name.upper()], target == "group"


def send_signal(signum: int, to_group: bool = False) -> None:
    """Send ``signum`` to this process, or to its whole process group."""
    if to_group:
        os.killpg(os.getpgrp(), signum)
    else:
        os.kill(os.getpid(), signum)
