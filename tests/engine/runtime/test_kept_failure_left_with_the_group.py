"""A failure that :func:`~detseg.engine.runtime.failing_together.deferring_failure` kept on a
process of a distributed run is dropped when the run leaves its process group
(:func:`~detseg.engine.runtime.distributed.destroy_distributed`): a later run in the same
Python process does not raise it at its first agreement.

The collectives are replaced by what one process of two sees when the other has nothing to
share: the flags as this process gives them, and the other's report ``None``.
"""

from __future__ import annotations

import pytest

from detseg.engine.checkpointing.disk_check import WorkDirError
from detseg.engine.runtime import distributed, failing_together
from detseg.engine.runtime.distributed import DistInfo, destroy_distributed
from detseg.engine.runtime.failing_together import agree_to_stop, deferring_failure

TWO = DistInfo(rank=0, world_size=2)


@pytest.fixture(autouse=True)
def _collectives_of_one_side(monkeypatch):
    monkeypatch.setattr(failing_together, "any_true_each", lambda flags, dist: list(flags))
    monkeypatch.setattr(failing_together, "all_gather", lambda obj, dist: [obj, None])
    yield
    destroy_distributed(TWO)  # no kept failure reaches another test


def _keep_a_failure() -> None:
    with deferring_failure(TWO):
        raise OSError(28, "No space left on device", "/runs/a/metrics.jsonl")


def test_a_kept_failure_is_raised_at_the_next_agreement():
    _keep_a_failure()
    with pytest.raises(WorkDirError, match=r"failed with OSError: .*No space left on device"):
        agree_to_stop(False, TWO, WorkDirError)


def test_a_kept_failure_is_dropped_with_the_process_group():
    _keep_a_failure()
    destroy_distributed(TWO)  # the run ends; no process group was joined, none is left
    assert agree_to_stop(False, TWO, WorkDirError) is False  # the next run: nothing kept
    assert agree_to_stop(True, TWO, WorkDirError) is True


def test_distributed_holds_none_of_the_failing_together_names():
    moved = ("failing_together", "deferring_failure", "agree_to_stop", "SharedFailure")
    moved += ("PeerLostError", "peer_lost", "_deferred", "_travelling_copy", "_named_settings")
    assert [name for name in moved if hasattr(distributed, name)] == []
