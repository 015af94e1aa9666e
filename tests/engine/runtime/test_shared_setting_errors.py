"""A user error that names settings (:class:`~detseg.named_settings.SettingError`), raised on
one process of a distributed run, reaches every process with its own type and settings
(:func:`~detseg.engine.runtime.failing_together.failing_together`): a Python caller on rank 0
catches the ``ResumeError`` that rank 1 raised and reads its keywords (``resume=True``,
``overrides=[...]``), and ``tools/train.py`` names the flags its user typed (``--resume``,
``--set``), as where the process raised it itself."""

from __future__ import annotations

import textwrap

from two_processes import run_two_processes

_WORKER = textwrap.dedent(
    """
    import torch.distributed as torch_dist

    from detseg.config import ConfigError
    from detseg.engine.checkpointing import CheckpointError
    from detseg.engine.checkpointing.disk_check import WorkDirError
    from detseg.engine.checkpointing.resume_state import TRAIN_SETTINGS, ResumeError
    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.runtime.failing_together import failing_together
    from detseg.named_settings import NameOnly, SettingError

    FLAGS = {"resume": "--resume", "work_dir": "--work-dir", "overrides": "--set"}
    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    dist = DistInfo(rank=rank, world_size=2)
    resume_error = ResumeError("cannot resume: start without {resume}", **TRAIN_SETTINGS)
    named = NameOnly("overrides=['a=1']", "a=1")
    config_error = ConfigError("{overrides}: no such key", overrides=named)
    failures = [(ConfigError, resume_error), (WorkDirError, config_error)]
    for error_type, failure in failures:
        try:
            with failing_together(dist, error_type):
                if rank == 1:
                    raise failure
            print("error none")
        except Exception as err:
            kind, named = type(err).__name__, isinstance(err, SettingError) and err.naming(FLAGS)
            print("error", kind, isinstance(err, CheckpointError), str(err), "|", named)
    torch_dist.destroy_process_group()
    """
)


def test_every_process_raises_the_setting_error_with_its_type_and_settings(tmp_path):
    outputs = run_two_processes(_WORKER, tmp_path, timeout=120)
    expected = [
        "error ResumeError True cannot resume: start without resume=True | cannot resume: "
        "start without --resume",
        "error ConfigError False overrides=['a=1']: no such key | --set a=1: no such key",
    ]
    for out in outputs:
        assert out.splitlines() == expected
