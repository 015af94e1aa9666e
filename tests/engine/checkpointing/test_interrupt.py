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


@pytest.mark.parametrize("announce", [True, False])
def test_only_an_announcing_process_logs_the_stop_request(announce, caplog):
    """A signal reaches every process of a distributed run; rank 0 alone says so."""
    with caplog.at_level("WARNING"), StopSignals(announce=announce) as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested
    said = [r for r in caplog.records if "SIGTERM received" in r.getMessage()]
    assert len(said) == int(announce)
