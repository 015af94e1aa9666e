"""StopSignals: the first SIGINT / SIGTERM asks for a stop, a second one stops at once."""

from __future__ import annotations

import os
import signal

import pytest

from detseg.engine.checkpointing import StopSignals


def test_stop_signals_flag_the_first_signal_and_raise_on_the_second():
    previous = signal.getsignal(signal.SIGINT)
    with StopSignals() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested and stop.exit_code == 143
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # a second signal: stop now
    assert signal.getsignal(signal.SIGINT) is previous
