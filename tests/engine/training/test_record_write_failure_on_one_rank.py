"""A write of the run's records that fails on rank 0 alone at the end of an epoch (a full disk
under ``metrics.jsonl``) fails every process of a distributed run with the same one line:
rank 1 must not go on to the loop's next collective (the finiteness check before ``last.pt``)
and wait there for a rank 0 that has stopped."""

from __future__ import annotations

import textwrap

from two_processes import run_two_processes

_WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from types import SimpleNamespace

    import torch.distributed as torch_dist
    from torch import nn

    from detseg.engine.records.run_records import RunRecords
    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.training.epoch_loop import close_epoch_training
    from detseg.engine.training.finite_checks import check_finite
    from detseg.engine.training.loop_results import EpochStats
    from detseg.engine.training.run_state import RunState

    torch_dist.init_process_group("gloo")
    dist = DistInfo(rank=torch_dist.get_rank(), world_size=2)
    work_dir = Path(sys.argv[0]).parent
    records = RunRecords(work_dir, dist, tensorboard=False, debug_ranks=False).open()
    if dist.is_main:
        def full_disk(record):
            raise OSError(28, "No space left on device")

        records.metrics.log = full_disk
    run = SimpleNamespace(
        work_dir=work_dir, dist=dist, records=records, model=nn.Linear(2, 2), ema=None,
        state=RunState(iteration=4),
    )
    try:
        close_epoch_training(run, 0, EpochStats(iterations=4, batches=4))
        check_finite(run, "last.pt")  # the epoch loop's next collective
        print("error none")
    except Exception as err:
        print("error", type(err).__name__, " ".join(str(err).split()))
    records.close()
    torch_dist.destroy_process_group()
    """
)


def test_every_process_fails_with_the_same_line(tmp_path):
    outputs = run_two_processes(_WORKER, tmp_path, timeout=240)
    lines = [out.strip() for out in outputs]
    assert lines[0] == lines[1]
    assert lines[0].startswith("error WorkDirError cannot write the run's records")
    assert "No space left on device" in lines[0] and str(tmp_path) in lines[0]
