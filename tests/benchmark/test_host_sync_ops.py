"""Which calls HostSyncRecorder counts: those that make the host wait for a GPU, and only those
(each case one call on the CPU)."""

from __future__ import annotations

import pytest
import torch

from detseg.benchmark.host_syncs import HostSyncRecorder

X = torch.arange(6.0)
ONES = torch.ones(6, dtype=torch.int64)

CASES = {
    # a Python bool read back from the device
    "torch.equal": (lambda: torch.equal(X, X), 1),
    "torch.allclose": (lambda: torch.allclose(X, X), 1),
    # repeats given by a tensor: the output size is their sum, read back, unless it is given
    "repeat_interleave by a tensor": (lambda: X.repeat_interleave(ONES), 1),
    "repeat_interleave by a tensor, output_size": (
        lambda: X.repeat_interleave(ONES, output_size=6),
        0,
    ),
    "torch.repeat_interleave(counts, output_size)": (
        lambda: torch.repeat_interleave(ONES, output_size=6),
        0,
    ),
    "repeat_interleave by an int": (lambda: X.repeat_interleave(2), 0),
    "unique_consecutive along a dim": (lambda: torch.unique_consecutive(X.view(2, 3), dim=0), 1),
    # no wait
    "three-argument where": (lambda: torch.where(X > 2, X, 0.0), 0),
    "nonzero_static": (lambda: torch.nonzero_static(X > 2, size=3), 0),
    "masked_fill": (lambda: X.masked_fill(X > 2, 0.0), 0),
}


@pytest.mark.parametrize("name", CASES)
def test_recorder_counts_the_calls_that_wait_for_the_device(name):
    call, syncs = CASES[name]
    with HostSyncRecorder() as recorder:
        call()
    assert recorder.total == syncs
