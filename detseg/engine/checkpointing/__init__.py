"""What keeps a run's work: checkpoint files, a clean stop on a signal, work-dir checks.

- :mod:`~detseg.engine.checkpointing.checkpoint`: atomic ``save_checkpoint``
  (``written_atomically``, also for exported models), ``load_checkpoint``.
- :mod:`~detseg.engine.checkpointing.rotation`: rotation (``last.1.pt`` ..., a previous run's
  ``best.1.pt`` ...) and fallback (``load_resumable``; damaged files moved aside as
  ``last.pt.corrupt``).
- :mod:`~detseg.engine.checkpointing.previous_run_folders`: a previous run's ``last.pt`` and
  its copies moved into ``previous_last.1/`` (``keep_previous_last``).
- :mod:`~detseg.engine.checkpointing.resume_state`: the training state that ``--resume``
  restores (``training_state``, ``restore_training_state``), and the config keys a resumed
  run changes (``log_config_changes``).
- :mod:`~detseg.engine.checkpointing.model_files`: ``load_model`` / ``model_from_checkpoint``
  (the model a checkpoint names, rebuilt) and ``model_checkpoint`` (the checkpoint dict of a
  model trained in your own code).
- :mod:`~detseg.engine.checkpointing.random_states`: the random states of a process
  (``rng_state``, ``set_rng_state``, ``seed_everything``).
- :mod:`detseg.torch_files` (re-exported here; below every layer that reads files):
  ``CheckpointError``, ``check_checkpoint_file`` and ``read_torch_file``, the reader of every
  checkpoint and state-dict file: one-line errors for a folder, an empty, text or cut-short file, a
  TorchScript or ONNX export, pickled objects; ``state_mismatch``, tensors that do not fit a
  model summed up in one line.
- :mod:`~detseg.engine.checkpointing.interrupt`: :class:`StopSignals`, SIGINT / SIGTERM stop
  a run after the current step.
- :mod:`~detseg.engine.checkpointing.disk_check`: the work dir is writable and has room for
  the checkpoints, checked at start-up.
"""

from detseg.engine.checkpointing.checkpoint import (
    REQUIRED_KEYS,
    load_checkpoint,
    remove_stale_temp_files,
    save_checkpoint,
    written_atomically,
)
from detseg.engine.checkpointing.disk_check import (
    LOG_RESERVE_BYTES,
    WorkDirError,
    check_work_dir,
    checkpoint_bytes,
    optimizer_state_count,
    required_bytes,
)
from detseg.engine.checkpointing.interrupt import StopSignals
from detseg.engine.checkpointing.model_files import (
    load_model,
    model_checkpoint,
    model_from_checkpoint,
)
from detseg.engine.checkpointing.previous_run_folders import keep_previous_last
from detseg.engine.checkpointing.random_states import rng_state, seed_everything, set_rng_state
from detseg.engine.checkpointing.resume_state import restore_training_state, training_state
from detseg.engine.checkpointing.rotation import (
    keep_previous,
    load_resumable,
    newest_readable,
    older_copy,
    save_rotating,
    set_aside,
)
from detseg.torch_files import (
    CheckpointError,
    check_checkpoint_file,
    read_torch_file,
    state_mismatch,
)

__all__ = [
    "LOG_RESERVE_BYTES",
    "REQUIRED_KEYS",
    "CheckpointError",
    "StopSignals",
    "WorkDirError",
    "check_checkpoint_file",
    "check_work_dir",
    "checkpoint_bytes",
    "keep_previous",
    "keep_previous_last",
    "load_checkpoint",
    "load_model",
    "load_resumable",
    "newest_readable",
    "model_checkpoint",
    "model_from_checkpoint",
    "older_copy",
    "optimizer_state_count",
    "read_torch_file",
    "remove_stale_temp_files",
    "required_bytes",
    "restore_training_state",
    "rng_state",
    "save_checkpoint",
    "save_rotating",
    "seed_everything",
    "set_aside",
    "set_rng_state",
    "state_mismatch",
    "training_state",
    "written_atomically",
]
