"""A write of the run's records that rank 0 takes alone inside a training step (the ``train``
record of a logged step in ``metrics.jsonl``, its TensorBoard scalars, the profile) and that
fails there (a full disk) fails every process of a distributed run with the same one line, at
the step's stop agreement: rank 1 must not go on to wait at its next collective for a rank 0
that has stopped. The agreement stays one all-reduce per step. On one process the error is
raised at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from step_write_run import FailingProfiler, Square, full_disk, make_run, train
from two_processes import run_two_processes

from detseg.engine.checkpointing.disk_check import WorkDirError
from detseg.engine.runtime.distributed import DistInfo

_WORKER = textwrap.dedent(
    """
    import os
    import sys
    from pathlib import Path

    sys.path.insert(0, "tests")  # the helpers; the workers run from the checkout
    import torch.distributed as torch_dist
    from step_write_run import (
        FailingProfiler, FullTensorBoard, full_disk, make_run, record_collectives,
        train_counting_agreements,
    )

    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.training.epoch_training import end_of_step

    calls = record_collectives()

    torch_dist.init_process_group("gloo")
    dist = DistInfo(rank=torch_dist.get_rank(), world_size=2)
    folder = Path(sys.argv[0]).parent
    FAILURES = {  # rank 0's failed write
        "clean": lambda run: None,
        "record": lambda run: setattr(run.records.metrics, "log", full_disk),
        "tb": lambda run: setattr(run.records, "tb", FullTensorBoard()),
        "profile": lambda run: setattr(run, "profiler", FailingProfiler(1)),
        "profile_last": lambda run: setattr(run, "profiler", FailingProfiler(3)),
    }
    for case, fail in FAILURES.items():
        run = make_run(folder / case, dist)
        if dist.is_main:
            fail(run)
        try:
            agreements = train_counting_agreements(run, calls, end_of_step)
            print(case, run.state.iteration, "none", agreements)
        except Exception as err:
            print(case, run.state.iteration, type(err).__name__, " ".join(str(err).split()))
        run.records.close()
    torch_dist.destroy_process_group()
    # The lines above are what is tested. The interpreter's teardown of the five runs' DDP
    # wrappers (and the gloo group they hold) once aborted in C++ ("terminate called without an
    # active exception") on a loaded machine, after every line was printed: skip it.
    sys.stdout.flush()
    os._exit(0)
    """
)


# as a Python caller of detseg.engine.train reads them; tools/train.py names --resume
_START_AGAIN = "then start the run again (it wrote no last.pt to resume from)"
_RESUME = "then continue with resume=True (an earlier last.pt is left as it was)"


def _line(folder: Path, what: str, then: str = _START_AGAIN) -> str:
    """The one line of a failed write of ``what``; ``then``: what to do (before the run's first
    ``last.pt`` there is nothing to ``--resume`` from)."""
    return (
        f"cannot write the run's records ({what}) in {folder}: [Errno 28] No space left on "
        f"device; free disk space or fix the folder's permissions, {then}"
    )


def test_a_failed_step_write_of_rank_zero_fails_every_process_with_one_line(tmp_path):
    outputs = run_two_processes(_WORKER, tmp_path, timeout=240)
    lines = [out.strip().splitlines() for out in outputs]
    assert lines[0] == lines[1]
    clean, record, tb, profile, profile_last = lines[0]
    # no failure: each step's bookkeeping agrees in one all-reduce, and nothing else
    assert clean == "clean 4 none " + str([["all_reduce"]] * 4)
    # the logged step 1's record and scalars: at that step's agreement (iteration 2)
    assert record == "record 2 WorkDirError " + _line(tmp_path / "record", "metrics.jsonl")
    assert tb == "tb 2 WorkDirError " + _line(tmp_path / "tb", "tb/")
    # the profile written after step 1's agreement: at step 2's
    assert profile == "profile 3 WorkDirError " + _line(tmp_path / "profile", "profile/")
    # after the last step's agreement: at the epoch's end
    assert profile_last == "profile_last 4 WorkDirError " + _line(
        tmp_path / "profile_last", "profile/"
    )


@pytest.mark.parametrize("what", ["metrics.jsonl", "profile/"])
@pytest.mark.parametrize("has_last", [False, True])
def test_one_process_raises_a_failed_step_write_at_once(tmp_path, what, has_last):
    """The line says to ``--resume`` only where the run has a ``last.pt`` to resume from."""
    if has_last:
        (tmp_path / "last.pt").write_bytes(b"the run's last.pt")
    run = make_run(tmp_path, DistInfo())
    if what == "metrics.jsonl":
        run.records.metrics.log = full_disk  # the logged step 1's record
    else:
        run.profiler = FailingProfiler(1)  # after step 1's bookkeeping
    with pytest.raises(WorkDirError) as raised:
        train(run, Square())
    run.records.close()
    assert run.state.iteration == (1 if what == "metrics.jsonl" else 2)  # no later step ran
    then = _RESUME if has_last else _START_AGAIN
    assert str(raised.value) == _line(tmp_path, what, then)
    tool_then = then.replace("resume=True", "--resume")  # "to resume from" names no setting
    assert raised.value.naming({"resume": "--resume"}) == _line(tmp_path, what, tool_then)
