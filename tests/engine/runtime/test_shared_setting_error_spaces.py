"""A :class:`~detseg.named_settings.SettingError` raised on one process of a distributed run
reaches every process with its message as it is: a path with a run of spaces in it (written
with :func:`~detseg.named_settings.literal`) keeps them, on the process that raised it and on
the others, in both its forms (``str(error)`` and ``error.naming(flags)``)."""

from __future__ import annotations

import textwrap

from two_processes import run_two_processes

_WORKER = textwrap.dedent(
    """
    import torch.distributed as torch_dist

    from detseg.config import ConfigError
    from detseg.engine.checkpointing.resume_state import TRAIN_SETTINGS, ResumeError
    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.runtime.failing_together import failing_together
    from detseg.named_settings import SettingError, literal

    FLAGS = {"resume": "--resume", "work_dir": "--work-dir"}
    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    dist = DistInfo(rank=rank, world_size=2)
    failure = ResumeError(
        f"cannot resume: the work dir {literal('/tmp/my  runs/{resume}')} holds no last.pt; "
        "start without {resume}",
        **TRAIN_SETTINGS,
    )
    try:
        with failing_together(dist, ConfigError):
            if rank == 1:
                raise failure
        print("error none")
    except Exception as err:
        print(type(err).__name__, err is failure, repr(str(err)))
        print(type(err).__name__, err is failure, repr(err.naming(FLAGS)))
    torch_dist.destroy_process_group()
    """
)


def test_a_path_keeps_its_runs_of_spaces_on_every_process(tmp_path):
    outputs = run_two_processes(_WORKER, tmp_path, timeout=120)
    for rank, out in enumerate(outputs):
        raised_here = rank == 1  # the process that raised it raises it itself
        assert out.splitlines() == [
            f"ResumeError {raised_here} 'cannot resume: the work dir /tmp/my  runs/{{resume}} "
            "holds no last.pt; start without resume=True'",
            f"ResumeError {raised_here} 'cannot resume: the work dir /tmp/my  runs/{{resume}} "
            "holds no last.pt; start without --resume'",
        ], (rank, out)
