"""Checkpoint files: atomic writes, safe loads, model rebuild.

A checkpoint is one ``torch.save`` file holding only tensors, dicts, lists,
strings and numbers, so it loads with ``torch.load(weights_only=True)``::

    {"model": state_dict, "config": resolved config (plain dict),
     "classes": [str, ...], "meta": {"detseg_version", "epoch", "iteration",
     "metrics", "time", "cat_ids", ...}}

``last.pt`` adds ``optimizer``, ``scheduler``, ``scaler`` and ``rng`` (see
:func:`rng_state`), which ``tools/train.py --resume`` restores.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

REQUIRED_KEYS = ("model", "config", "classes", "meta")


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt or lacks a required entry."""


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically.

    The data goes to a temporary file in the same folder, which is flushed and
    fsynced before ``os.replace`` moves it over ``path``. A crash at any point
    leaves the previous ``path`` intact, and the temporary file is removed when
    the write fails.

    Args:
        path: destination file; its folder is created if needed.
        state: checkpoint dict (tensors, dicts, lists, str, numbers only).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Persist the rename itself (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint on the CPU with ``weights_only=True``.

    Raises:
        CheckpointError: the file is missing, unreadable, not a detseg checkpoint,
            or lacks one of ``model``, ``config``, ``classes``, ``meta``.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # the unpickler raises many types on corrupt input
        raise CheckpointError(
            f"cannot read checkpoint {path} (corrupt or not a checkpoint): {err}"
        ) from err
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: expected a dict, got {type(state).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in state]
    if missing:
        raise CheckpointError(f"{path}: not a detseg checkpoint, missing {missing}")
    return state


def load_model(
    path: str | Path, device: str | torch.device, model_cfg: dict[str, Any] | None = None
) -> tuple[nn.Module, dict[str, Any], list[str]]:
    """Rebuild the model stored in a checkpoint file, in eval mode on ``device``.

    Args:
        path: checkpoint file.
        device: where to put the model.
        model_cfg: optional model section replacing the stored one (e.g. a lower
            ``roi_heads.score_thresh`` for evaluation); the weights must still fit.

    Returns:
        ``(model, config_dict, classes)``.
    """
    state = load_checkpoint(path)
    return model_from_checkpoint(state, device, model_cfg, source=str(path))


def model_from_checkpoint(
    state: dict[str, Any],
    device: str | torch.device,
    model_cfg: dict[str, Any] | None = None,
    source: str = "checkpoint",
) -> tuple[nn.Module, dict[str, Any], list[str]]:
    """:func:`load_model` for an already loaded checkpoint dict."""
    from detseg.models import build_model

    config, classes = state["config"], list(state["classes"])
    model = build_model(model_cfg if model_cfg is not None else config["model"], len(classes))
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise CheckpointError(f"{source}: weights do not fit the configured model: {err}") from err
    model.to(device).eval()
    return model, config, classes


def rng_state() -> dict[str, Any]:
    """Python, NumPy, torch (and CUDA) random states as weights_only-safe types."""
    version, py_state, gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": {"version": version, "state": list(py_state), "gauss": gauss},
        "numpy": {
            "name": np_name,
            "keys": torch.from_numpy(np_keys.astype(np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "gauss": float(np_gauss),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` saved."""
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"]), py["gauss"]))
    npy = state["numpy"]
    keys = npy["keys"].numpy().astype(np.uint32)
    np.random.set_state((npy["name"], keys, npy["pos"], npy["has_gauss"], npy["gauss"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def training_state(
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    loader_generator: torch.Generator | None = None,
) -> dict[str, Any]:
    """The resumable part of ``last.pt``: optimizer, scheduler, scaler and RNG states.

    ``loader_generator`` is the training ``DataLoader``'s shuffling generator; saving
    it makes a resumed run see the same batch order as an uninterrupted one.
    """
    rng = rng_state()
    if loader_generator is not None:
        rng["loader"] = loader_generator.get_state()
    return {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "rng": rng,
    }


def restore_training_state(
    state: dict[str, Any],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    loader_generator: torch.Generator | None = None,
) -> None:
    """Load what :func:`training_state` saved into freshly built objects.

    The scheduler keeps its own (current config's) schedule and base learning
    rate and only takes its position (``last_epoch``) from the checkpoint, so a
    resumed run may change e.g. ``train.epochs`` or ``train.lr``.

    Raises:
        CheckpointError: the checkpoint has no training state (e.g. ``best.pt``).
    """
    missing = [k for k in ("optimizer", "scheduler", "scaler", "rng") if k not in state]
    if missing:
        raise CheckpointError(f"cannot resume: the checkpoint lacks {missing} (use last.pt)")
    base_lrs = list(scheduler.base_lrs)
    optimizer.load_state_dict(state["optimizer"])
    sched = dict(state["scheduler"])
    if "lr_lambdas" in sched:  # keep the schedule (and base lr) of the current config
        sched["lr_lambdas"] = [None] * len(sched["lr_lambdas"])
    scheduler.load_state_dict({**sched, "base_lrs": base_lrs})
    for group, base_lr, lr_lambda in zip(
        optimizer.param_groups, base_lrs, scheduler.lr_lambdas, strict=True
    ):
        group["initial_lr"] = base_lr
        group["lr"] = base_lr * lr_lambda(scheduler.last_epoch)
    scaler.load_state_dict(state["scaler"])
    set_rng_state(state["rng"])
    if loader_generator is not None and "loader" in state["rng"]:
        loader_generator.set_state(state["rng"]["loader"])
