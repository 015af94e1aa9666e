"""Checkpoint files: what one holds, its atomic write and its checked load.

A checkpoint is one ``torch.save`` file holding only tensors, dicts, lists,
strings and numbers, so it loads with ``torch.load(weights_only=True)``::

    {"model": state_dict, "config": resolved config (plain dict),
     "classes": [str, ...], "meta": {"detseg_version", "epoch", "iteration",
     "metrics", "time", "cat_ids", ...}, "launch_folder": str}

``launch_folder`` is the absolute working folder of the process that wrote the file (training
was started there), which the config's relative data paths are read from where the working
folder lacks them (:mod:`~detseg.engine.checkpointing.launch_folder`); older checkpoints lack it.
``last.pt`` adds ``optimizer``, ``scheduler``, ``scaler``, ``rng`` (see
:func:`~detseg.engine.checkpointing.random_states.rng_state`), ``ema`` when EMA is on, and
``rng_ranks`` (the random states of every process of a distributed run), which
``tools/train.py --resume`` restores (:mod:`~detseg.engine.checkpointing.resume_state`).

The older copies of a file (``last.1.pt``, ...), the fallback to them and damaged files moved
aside are :mod:`~detseg.engine.checkpointing.rotation`; a previous run's ``last.pt`` moved
into ``previous_last.1/`` is :mod:`~detseg.engine.checkpointing.previous_run_folders`.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from detseg.config.class_list import recorded_classes, recorded_config
from detseg.engine.checkpointing.launch_folder import with_launch_folder
from detseg.torch_files import CheckpointError, read_torch_file

REQUIRED_KEYS = ("model", "config", "classes", "meta")

#: What each required entry holds: the state dict, the resolved config and ``meta`` are dicts,
#: the class names a list (another framework's file may keep e.g. its config as YAML text).
REQUIRED_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "model": ((dict,), "state dict"),
    "config": ((dict,), "config dict"),
    "classes": ((list, tuple), "list of class names"),
    "meta": ((dict,), "dict"),
}


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically.

    The data goes to a temporary file in the same folder, which is flushed and
    fsynced before ``os.replace`` moves it over ``path``. A crash at any point
    leaves the previous ``path`` intact, and the temporary file is removed when
    the write fails.

    A ``state`` with a ``config`` dict is written with ``launch_folder``, the absolute working
    folder of this process, unless it has one: the folder its config's relative paths
    (``data.root``) are relative to (:mod:`~detseg.engine.checkpointing.launch_folder`).

    Args:
        path: destination file; its folder is created if needed.
        state: checkpoint dict (tensors, dicts, lists, str, numbers only); not modified.

    Raises:
        OSError: the file could not be written (a full disk, a read-only folder); torch's zip
            writer reports a failed write as a ``RuntimeError`` ("unexpected pos ...") raised
            while handling it, which is replaced by the ``OSError`` itself.
    """
    with written_atomically(Path(path)) as partial, open(partial, "wb") as file:
        try:
            torch.save(with_launch_folder(state), file)
        except RuntimeError as err:
            failed = _os_error(err)
            if failed is None:
                raise
            raise OSError(failed.errno, failed.strerror, str(partial)) from err


def _os_error(err: BaseException) -> OSError | None:
    """The ``OSError`` among the exceptions ``err`` was raised from or while handling."""
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, OSError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


@contextmanager
def written_atomically(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` (``.<name>.<random>.tmp``, its folder created) for the
    block to write; fsynced and moved over ``path`` when the block ends, removed when it raises
    (a signal included): an interrupted or failed write leaves the previous ``path`` intact.
    Checkpoints and exported models are written through it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _new_temp_file(path)
    try:
        yield partial
        with open(partial, "rb") as file:
            os.fsync(file.fileno())
        _keep_mode(path, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    fsync_dir(path.parent)


def _new_temp_file(path: Path) -> Path:
    """An empty new file ``.<name>.<random>.tmp`` beside ``path``, with the permissions
    ``open(path, "w")`` gives a new file: ``0o666`` less the umask, applied by the system as it
    creates the file (``tempfile.mkstemp``'s ``0o600`` would hide a checkpoint or an exported
    model from a serving process under another user)."""
    for _ in range(100):
        candidate = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:  # another writer's name: draw again
            continue
        return candidate
    raise FileExistsError(f"no free temporary name beside {path}")


def _keep_mode(path: Path, partial: Path) -> None:
    """Give ``partial`` the permissions of the file ``path`` it replaces, as writing over it in
    place would keep them (a file made read-only stays so; set once written, so writing
    ``partial`` is never refused); nothing where ``path`` is no file yet."""
    if path.is_file():
        os.chmod(partial, stat.S_IMODE(path.stat().st_mode))


def remove_stale_temp_files(folder: str | Path) -> list[Path]:
    """Delete the temporary files a killed :func:`save_checkpoint` left in ``folder``."""
    stale = [p for p in Path(folder).glob(".*.tmp") if re.fullmatch(r"\..+\.pt\..+\.tmp", p.name)]
    for tmp in stale:
        tmp.unlink(missing_ok=True)
    return stale


def remove_stale_temp_files_of(path: str | Path) -> list[Path]:
    """Delete the temporary files that killed :func:`written_atomically` writes of ``path``
    left beside it (``.<name>.<random>.tmp``), e.g. an exported model's: a writer of files
    outside a run's work dir calls it before it writes ``path`` again (the temporary file of
    a write in progress of the same ``path`` by another process would go too)."""
    path = Path(path)
    pattern = rf"\.{re.escape(path.name)}\.[A-Za-z0-9_]+\.tmp"
    stale = [p for p in path.parent.glob(".*.tmp") if re.fullmatch(pattern, p.name)]
    for tmp in stale:
        tmp.unlink(missing_ok=True)
    return stale


def fsync_dir(folder: Path) -> None:
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

    :func:`~detseg.torch_files.read_torch_file` reads it: the usual
    mistakes (a folder, an empty or text file, a TorchScript or ONNX export, pickled objects)
    are a one-line message; torch's own warnings and advice never reach the user.

    The stored config is the record of what the run trained with, read as such
    (:func:`~detseg.config.class_list.recorded_config`): a null class name in its
    ``data.classes``, which a user's config may not have, is the class ``"None"`` it trained as;
    its ``classes`` are stripped as the readers strip names
    (:func:`~detseg.config.class_list.recorded_classes`).

    Raises:
        CheckpointError: the file is missing, unreadable, not a detseg checkpoint,
            lacks one of ``model``, ``config``, ``classes``, ``meta``, or one of them is not
            what training writes (:data:`REQUIRED_TYPES`).
    """
    path = Path(path)
    state = read_torch_file(path)
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: expected a dict, got {type(state).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in state]
    if missing:
        raise CheckpointError(
            f"{path}: not a detseg checkpoint, missing {missing}; {_not_a_checkpoint_advice(state)}"
        )
    wrong = [
        f"{key!r} is of type {type(state[key]).__name__}, not a {kind}"
        for key, (types, kind) in REQUIRED_TYPES.items()
        if not isinstance(state[key], types)
    ]
    if wrong:
        raise CheckpointError(
            f"{path}: not a detseg checkpoint, {'; '.join(wrong)}; give a best.pt / last.pt "
            "written by detseg-train (tools/train.py)"
        )
    state["config"] = recorded_config(state["config"])  # a null class: the "None" it trained as
    state["classes"] = recorded_classes(state["classes"])  # " cat ": the readers' "cat"
    return state


def _not_a_checkpoint_advice(state: dict[str, Any]) -> str:
    """What to do with a dict that is not a detseg checkpoint: convert a bare state dict (a
    torchvision ``.pth``, or one under ``"model"``), else give a file written by training."""
    weights = state["model"] if isinstance(state.get("model"), dict) else state
    if weights and all(isinstance(value, torch.Tensor) for value in weights.values()):
        return (
            "it holds bare weights (a torchvision state dict?): convert it with "
            "detseg-convert-torchvision (tools/convert_torchvision.py) first, or give a best.pt / "
            "last.pt written by detseg-train (tools/train.py)"
        )
    return "give a best.pt / last.pt written by detseg-train (tools/train.py)"
