"""Work-dir checks at start-up: a full disk or a read-only folder fails now, not after an epoch.

:func:`check_work_dir` creates the folder, writes, fsyncs and deletes a probe file, and
compares the free space with what the run's checkpoints will take
(:func:`checkpoint_bytes`): ``last.pt`` with its older copies and a temporary file during each
write, and ``best.pt``. A :class:`WorkDirError` that says to choose another folder names it as
the caller gave it: ``work_dir`` to :func:`detseg.engine.train`, ``--work-dir`` to
``tools/train.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch
from torch import nn

from detseg.engine.checkpointing.resume_state import TRAIN_SETTINGS
from detseg.named_settings import SettingError, literal

#: Room kept for metrics.jsonl, TensorBoard events and plots.
LOG_RESERVE_BYTES = 64 * 2**20
_PROBE_BYTES = 2**20


class WorkDirError(SettingError, RuntimeError):
    """The work dir cannot hold the run (not writable, or not enough free space), or a file of
    the run could not be written there.

    A :class:`~detseg.named_settings.SettingError` (and a ``RuntimeError``): where the message
    says what to change (another work dir, a resume), a ``{work_dir}`` or ``{resume}`` field
    names the setting as the caller gave it, ``work_dir`` from Python and ``--work-dir`` from
    ``tools/train.py`` (``error.naming(flags)``)."""


def checkpoint_bytes(model: nn.Module, optimizer_states: int, ema: bool) -> int:
    """Approximate size of ``last.pt`` in bytes.

    Args:
        model: the model (its parameters and buffers are stored).
        optimizer_states: tensors the optimizer keeps per parameter (SGD momentum 1, AdamW 2).
        ema: an EMA copy of the weights is stored too.
    """
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    weights = params + buffers
    return weights * (1 + int(ema)) + params * optimizer_states


def required_bytes(last_bytes: int, weights_bytes: int, keep_checkpoints: int) -> int:
    """Peak disk use: ``last.pt``, its copies, one temporary file, ``best.pt`` (+ logs)."""
    return last_bytes * (keep_checkpoints + 2) + weights_bytes * 2 + LOG_RESERVE_BYTES


def held_bytes(work_dir: str | Path, keep_checkpoints: int) -> int:
    """Bytes the checkpoints a resumed run goes on with already take in ``work_dir``:
    ``last.pt``, ``last.1.pt`` ... ``last.<keep_checkpoints>.pt`` and ``best.pt`` (a file
    hard-linked under two names counted once). The run replaces them, so they count towards
    :func:`required_bytes` rather than needing that much free space besides."""
    work_dir = Path(work_dir)
    names = ["last.pt", *(f"last.{k}.pt" for k in range(1, keep_checkpoints + 1)), "best.pt"]
    sizes: dict[tuple[int, int], int] = {}
    for name in names:
        try:
            info = (work_dir / name).stat()
        except OSError:
            continue
        sizes[(info.st_dev, info.st_ino)] = info.st_size
    return sum(sizes.values())


def check_work_dir(work_dir: str | Path, needed_bytes: int) -> None:
    """Make sure ``work_dir`` exists, is writable and has ``needed_bytes`` free.

    Raises:
        WorkDirError: the folder cannot be created or written (the message has the OS error),
            or its file system has less free space than needed (both numbers in MB).
    """
    work_dir = Path(work_dir)
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        probe = work_dir / f".detseg_write_probe_{os.getpid()}"
        try:
            with probe.open("wb") as file:
                file.write(b"\0" * _PROBE_BYTES)
                file.flush()
                os.fsync(file.fileno())
        finally:
            probe.unlink(missing_ok=True)
    except OSError as err:
        raise WorkDirError(
            f"cannot write to the work dir {literal(work_dir)}: {literal(err.strerror or err)} "
            f"(errno {err.errno}); choose a writable folder with {{work_dir}}",
            work_dir=TRAIN_SETTINGS["work_dir"],
        ) from err
    free = shutil.disk_usage(work_dir).free
    if free < needed_bytes:
        raise WorkDirError(
            f"not enough free space in the work dir {literal(work_dir)}: the checkpoints need "
            f"about {needed_bytes / 2**20:.0f} MB, {free / 2**20:.0f} MB are free; free some "
            "space, lower train.keep_checkpoints, or choose another {work_dir}",
            work_dir=TRAIN_SETTINGS["work_dir"],
        )


def optimizer_state_count(optimizer: torch.optim.Optimizer) -> int:
    """Tensors per parameter an optimizer keeps (AdamW 2, SGD with momentum 1, else 0)."""
    if isinstance(optimizer, torch.optim.Adam | torch.optim.AdamW):
        return 2
    if isinstance(optimizer, torch.optim.SGD):
        return int(optimizer.defaults.get("momentum", 0) != 0)
    return 2
