"""Checkpoint files: atomic writes, safe loads, model rebuild.

A checkpoint is one ``torch.save`` file holding only tensors, dicts, lists,
strings and numbers, so it loads with ``torch.load(weights_only=True)``::

    {"model": state_dict, "config": resolved config (plain dict),
     "classes": [str, ...], "meta": {"detseg_version", "epoch", "iteration",
     "metrics", "time", "cat_ids", ...}}

``last.pt`` adds ``optimizer``, ``scheduler``, ``scaler``, ``rng`` (see
:func:`~detseg.engine.checkpointing.random_states.rng_state`), ``ema`` when EMA is on, and
``rng_ranks`` (the random states of every process of a distributed run), which
``tools/train.py --resume`` restores.

:func:`save_rotating` keeps the previous ``last.pt`` files as ``last.1.pt``, ``last.2.pt``, ...
(``train.keep_checkpoints``); :func:`load_resumable` falls back to them, newest first, when
``last.pt`` is damaged, and moves the damaged files aside (``last.pt.corrupt``) so that no
later rotation puts them over the good copy. A new run (not ``--resume``) in a used work dir
keeps the previous run's ``best.pt`` the same way (:func:`keep_previous`: ``best.1.pt``,
``best.2.pt``, ... up to ``train.keep_checkpoints``) before it writes its own, and moves the
previous run's ``last.pt`` and ``last.<k>.pt`` into ``previous_last.1/``
(:func:`keep_previous_last`), where no ``--resume`` of the new run falls back to them.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from detseg.engine.checkpointing.random_states import rng_state, set_rng_state
from detseg.torch_files import (
    CheckpointError,
    is_complete,
    read_torch_file,
)

logger = logging.getLogger(__name__)

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

    Args:
        path: destination file; its folder is created if needed.
        state: checkpoint dict (tensors, dicts, lists, str, numbers only).
    """
    with written_atomically(Path(path)) as partial, open(partial, "wb") as file:
        torch.save(state, file)


@contextmanager
def written_atomically(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` (``.<name>.<random>.tmp``, its folder created) for the
    block to write; fsynced and moved over ``path`` when the block ends, removed when it raises
    (a signal included): an interrupted or failed write leaves the previous ``path`` intact.
    Checkpoints and exported models are written through it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    partial = Path(tmp_name)
    try:
        yield partial
        with open(partial, "rb") as file:
            os.fsync(file.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def older_copy(path: str | Path, k: int) -> Path:
    """Name of the ``k``-th older copy of ``path`` (``last.pt`` -> ``last.1.pt``)."""
    path = Path(path)
    return path.with_name(f"{path.stem}.{k}{path.suffix}")


def save_rotating(path: str | Path, state: dict[str, Any], keep: int) -> None:
    """:func:`save_checkpoint`, keeping the ``keep`` previous versions of ``path``.

    ``path.{k-1}`` becomes ``path.{k}`` (oldest dropped), then the current ``path`` is
    hard-linked (copied where links are not supported) to ``path.1`` before the new file
    replaces it, so a good ``path`` exists at every moment. A current ``path`` that is not a
    complete checkpoint (cut short: its zip directory is unreadable) is never rotated over
    the good older copies: it is moved aside (:func:`set_aside`) instead. Once the new file is
    written, copies beyond ``keep`` (left by a run saved with a higher ``keep``) are deleted.
    """
    path = Path(path)
    if keep > 0 and path.is_file():
        if not is_complete(path):
            moved = set_aside(path)
            logger.warning("%s is damaged: moved it to %s, kept the older copies", path, moved)
        else:
            _shift_older_copies(path, keep)
            link = path.with_name(f".{path.name}.link.tmp")
            link.unlink(missing_ok=True)
            try:
                os.link(path, link)
            except OSError:
                shutil.copyfile(path, link)
            os.replace(link, older_copy(path, 1))
    save_checkpoint(path, state)
    _drop_copies_beyond(path, keep)


def older_copies(path: Path) -> list[Path]:
    """The older copies of ``path`` in its folder (``last.1.pt``, ``last.2.pt``, ...), newest
    (lowest ``k``) first."""
    copies = (p for p in path.parent.glob(f"{path.stem}.*{path.suffix}") if _copy_number(path, p))
    return sorted(copies, key=lambda p: _copy_number(path, p))


def _drop_copies_beyond(path: Path, keep: int) -> None:
    """Delete the copies ``path.<k>`` with ``k > keep`` (``train.keep_checkpoints`` lowered
    on a resumed run); called after a new ``path`` is written, so a good file is always left."""
    beyond = [p for p in older_copies(path) if _copy_number(path, p) > keep]
    for copy in beyond:
        copy.unlink(missing_ok=True)
    if beyond:
        logger.info(
            "removed %s (train.keep_checkpoints=%d)", ", ".join(p.name for p in beyond), keep
        )


def keep_previous(path: str | Path, keep: int) -> Path | None:
    """Move a previous run's ``path`` (``best.pt``) to ``path.1`` before a new run writes one.

    The older copies shift as in :func:`save_rotating` (``best.1.pt`` becomes ``best.2.pt``
    ... up to ``keep``, the oldest dropped, as are copies beyond a lowered ``keep``); a damaged
    ``path`` is moved aside instead (:func:`set_aside`). With ``keep == 0`` nothing moves: the
    new run's first save replaces ``path``. One log line says what was done (a warning when a
    copy is dropped or replaced).

    Returns:
        Where ``path`` went, or ``None`` (no ``path``, or ``keep == 0``).
    """
    path = Path(path)
    if not path.is_file():
        return None
    previous = f"a previous run's {path.name} in {path.parent}"
    if keep == 0:
        logger.warning(
            "%s will be replaced by this run's (train.keep_checkpoints=0 keeps no copies)",
            previous,
        )
        return None
    if not is_complete(path):
        moved = set_aside(path)
        logger.warning("%s is damaged: moved it to %s", previous, moved.name)
        return moved
    dropped = older_copy(path, keep).is_file()
    _shift_older_copies(path, keep)
    os.replace(path, older_copy(path, 1))
    _drop_copies_beyond(path, keep)
    _fsync_dir(path.parent)
    kept = f"{previous} is kept as {older_copy(path, 1).name}"
    if dropped:
        logger.warning(
            "%s; the oldest copy %s was dropped (train.keep_checkpoints=%d; raise it to keep more)",
            kept,
            older_copy(path, keep).name,
            keep,
        )
    else:
        logger.info("%s", kept)
    return older_copy(path, 1)


def _previous_run_folder(path: Path, k: int) -> Path:
    """The ``k``-th folder of a previous run's ``path`` and its copies (``last.pt`` ->
    ``previous_last.1``)."""
    return path.with_name(f"previous_{path.stem}.{k}")


def _previous_run_folders(path: Path) -> list[Path]:
    """The folders ``previous_<stem>.<k>`` beside ``path``, lowest ``k`` first."""
    folders = (f for f in path.parent.glob(f"previous_{path.stem}.*") if f.is_dir())
    return sorted(
        (f for f in folders if _folder_number(path, f)), key=lambda f: _folder_number(path, f)
    )


def _folder_number(path: Path, folder: Path) -> int:
    """``k`` of ``previous_last.k``, 0 for other names."""
    match = re.fullmatch(rf"previous_{re.escape(path.stem)}\.(\d+)", folder.name)
    return int(match.group(1)) if match else 0


def keep_previous_last(path: str | Path, keep: int) -> Path | None:
    """Move a previous run's ``path`` (``last.pt``) and its copies (``last.<k>.pt``) into
    ``previous_last.1/`` before a new run writes its own.

    Left in place, they would become the new run's older copies, and ``--resume`` of the new
    run could fall back to (or, killed before its first save, start from) the other run's
    checkpoint. Older folders shift (``previous_last.1`` -> ``previous_last.2`` ... up to
    ``keep``, the oldest deleted); the copies move first and ``path`` last, so a crash part way
    leaves in the work dir only the previous run's newest files, still a coherent run. With
    ``keep == 0`` the files are deleted. One log line says what was done (a warning when
    something is deleted).

    Returns:
        The folder they went to, or ``None`` (no ``path`` nor copy, or ``keep == 0``).
    """
    path = Path(path)
    files = [*reversed(older_copies(path)), *([path] if path.is_file() else [])]
    if not files:
        return None
    names = ", ".join(p.name for p in reversed(files))
    previous = f"a previous run's {names} in {path.parent}"
    if keep == 0:
        for file in files:
            file.unlink()
        logger.warning(
            "deleted %s (train.keep_checkpoints=0 keeps no copies; a new run never resumes "
            "from another run's checkpoints)",
            previous,
        )
        return None
    dropped = [f for f in _previous_run_folders(path) if _folder_number(path, f) >= keep]
    for old in dropped:  # the oldest, and any beyond a lowered keep
        shutil.rmtree(old)
    for k in range(keep, 1, -1):
        if _previous_run_folder(path, k - 1).is_dir():
            os.replace(_previous_run_folder(path, k - 1), _previous_run_folder(path, k))
    folder = _previous_run_folder(path, 1)
    folder.mkdir()
    for file in files:
        os.replace(file, folder / file.name)
    _fsync_dir(folder)
    _fsync_dir(path.parent)
    kept = f"{previous} moved to {folder.name}/ (a new run never resumes from them)"
    if dropped:
        logger.warning(
            "%s; deleted the oldest such folder(s) %s (train.keep_checkpoints=%d; raise it to "
            "keep more)",
            kept,
            ", ".join(f.name for f in dropped),
            keep,
        )
    else:
        logger.info("%s", kept)
    return folder


def set_aside(path: str | Path) -> Path:
    """Rename a damaged ``path`` to ``path.corrupt`` (``.corrupt.1``, ... when taken), so
    that no rotation moves it over a good copy and nothing is deleted; returns the new name."""
    path = Path(path)
    target = path.with_name(f"{path.name}.corrupt")
    number = 0
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.corrupt.{number}")
    os.replace(path, target)
    _fsync_dir(path.parent)
    return target


def _shift_older_copies(path: Path, keep: int) -> None:
    """``path.{k-1}`` becomes ``path.{k}`` for ``k = keep .. 2`` (``path.keep`` dropped)."""
    for k in range(keep, 1, -1):
        if older_copy(path, k - 1).is_file():
            os.replace(older_copy(path, k - 1), older_copy(path, k))


def remove_stale_temp_files(folder: str | Path) -> list[Path]:
    """Delete the temporary files a killed :func:`save_checkpoint` left in ``folder``."""
    stale = [p for p in Path(folder).glob(".*.tmp") if re.fullmatch(r"\..+\.pt\..+\.tmp", p.name)]
    for tmp in stale:
        tmp.unlink(missing_ok=True)
    return stale


def load_resumable(path: str | Path, set_aside_damaged: bool = True) -> tuple[dict[str, Any], Path]:
    """Load ``path`` (``last.pt``), or the newest good older copy when it is damaged.

    When an older copy is used, the newer files that failed to load are moved aside
    (``last.pt`` -> ``last.pt.corrupt``, see :func:`set_aside`), so the next
    :func:`save_rotating` never rotates them over the good copy the run resumed from.

    Args:
        path: the ``last.pt`` to resume from.
        set_aside_damaged: move the damaged files aside (only the process that writes the
            checkpoints should: rank 0 of a distributed run).

    Returns:
        ``(state, the file it came from)``.

    Raises:
        CheckpointError: neither ``path`` nor any ``path.<k>`` copy can be read; the message
            names every file tried and why.
    """
    path = Path(path)
    errors, damaged = [], []
    for candidate in [path, *older_copies(path)]:
        try:
            state = load_checkpoint(candidate)
        except CheckpointError as err:
            errors.append(str(err))
            if candidate.is_file():
                logger.error("%s", err)
                damaged.append(candidate)
            continue
        if candidate != path:
            notes = [f"resuming from the older copy {candidate} instead"]
            if set_aside_damaged:
                notes += [_set_aside_unreadable(p) for p in damaged]
            logger.warning("%s", "; ".join(notes))
        return state, candidate
    raise CheckpointError(
        "cannot resume: " + "; ".join(errors) + ". Start without --resume, or point "
        "--work-dir at the run's folder."
    )


def newest_readable(path: str | Path) -> tuple[dict[str, Any], Path] | None:
    """The checkpoint :func:`load_resumable` would resume from, read quietly (nothing logged,
    nothing moved): ``(state, file)`` of ``path`` or of its newest readable older copy, ``None``
    when none can be read."""
    path = Path(path)
    for candidate in [path, *older_copies(path)]:
        try:
            return load_checkpoint(candidate), candidate
        except CheckpointError:
            continue
    return None


def _set_aside_unreadable(path: Path) -> str:
    """:func:`set_aside` for :func:`load_resumable`; returns the note for its warning.

    Raises:
        CheckpointError: the file cannot be renamed (resuming could then rotate it over the
            copy the run resumes from).
    """
    try:
        moved = set_aside(path)
    except OSError as err:
        raise CheckpointError(
            f"cannot move the unreadable {path} aside: {err.strerror or err}; move or delete "
            "it, then resume again"
        ) from err
    return f"moved the unreadable {path} to {moved.name}"


def _copy_number(path: Path, candidate: Path) -> int:
    """``k`` of ``last.k.pt``, 0 for other names."""
    match = re.fullmatch(rf"{re.escape(path.stem)}\.(\d+){re.escape(path.suffix)}", candidate.name)
    return int(match.group(1)) if match else 0


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

    :func:`~detseg.torch_files.read_torch_file` reads it: the usual
    mistakes (a folder, an empty or text file, a TorchScript or ONNX export, pickled objects)
    are a one-line message; torch's own warnings and advice never reach the user.

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
            "written by tools/train.py"
        )
    return state


def _not_a_checkpoint_advice(state: dict[str, Any]) -> str:
    """What to do with a dict that is not a detseg checkpoint: convert a bare state dict (a
    torchvision ``.pth``, or one under ``"model"``), else give a file written by training."""
    weights = state["model"] if isinstance(state.get("model"), dict) else state
    if weights and all(isinstance(value, torch.Tensor) for value in weights.values()):
        return (
            "it holds bare weights (a torchvision state dict?): convert it with "
            "tools/convert_torchvision.py first, or give a best.pt / last.pt written by "
            "tools/train.py"
        )
    return "give a best.pt / last.pt written by tools/train.py"


def training_state(
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    loader_generator: torch.Generator | None = None,
    ema: Any | None = None,
) -> dict[str, Any]:
    """The resumable part of ``last.pt``: optimizer, scheduler, scaler, RNG (and EMA) states.

    ``loader_generator`` is a ``DataLoader``'s shuffling generator, for loaders whose order
    depends on it (the training loader of ``tools/train.py`` does not: its order is a function
    of the seed and the epoch). ``ema`` is a :class:`~detseg.engine.solver.ema.ModelEMA`.
    """
    rng = rng_state()
    if loader_generator is not None:
        rng["loader"] = loader_generator.get_state()
    state = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "rng": rng,
    }
    if ema is not None:
        state["ema"] = ema.state_dict()
    return state


def check_resume_entries(state: dict[str, Any], source: str | Path) -> None:
    """Refuse a ``last.pt`` whose run position or schedule position is missing, before
    anything is loaded from it: ``meta["run"]`` (the :class:`RunState` dict), and the
    scheduler's ``lr_lambdas`` (list) and ``last_epoch`` (int; without it the schedule would
    silently start again from its warmup).

    Raises:
        CheckpointError: one line naming ``source`` and every missing or mistyped entry.
    """
    expected = {
        ("meta", "run"): (dict, "dict"),
        ("scheduler", "lr_lambdas"): (list, "list"),
        ("scheduler", "last_epoch"): (int, "int"),
    }
    problems = []
    for (entry, key), (kind, name) in expected.items():
        holder = state.get(entry)
        if not isinstance(holder, dict):
            if entry in state:  # a missing entry is restore_training_state's message
                problems.append(f"{entry!r} is of type {type(holder).__name__}, not a dict")
            continue
        if key not in holder:
            problems.append(f"{entry}[{key!r}] is missing")
        elif not isinstance(holder[key], kind) or isinstance(holder[key], bool):
            problems.append(f"{entry}[{key!r}] is of type {type(holder[key]).__name__}, not {name}")
    if problems:
        raise CheckpointError(
            f"cannot resume from {source}: {'; '.join(dict.fromkeys(problems))}; it was not "
            "written by tools/train.py (or was edited): resume from an older copy renamed to "
            "last.pt, or start without --resume"
        )


def restore_training_state(
    state: dict[str, Any],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LambdaLR,
    scaler: torch.amp.GradScaler,
    loader_generator: torch.Generator | None = None,
    ema: Any | None = None,
    rank: int = 0,
) -> None:
    """Load what :func:`training_state` saved into freshly built objects.

    The scheduler keeps its own (current config's) schedule and base learning
    rate and only takes its position (``last_epoch``) from the checkpoint, so a
    resumed run may change e.g. ``train.epochs`` or ``train.lr`` (``--resume`` first gives it
    the saved run's warmup, see :func:`~detseg.engine.solver.schedules.keep_saved_warmup`).
    Process ``rank`` of a distributed run gets its own random state from ``rng_ranks`` when
    the checkpoint has it.

    Raises:
        CheckpointError: the checkpoint has no training state (e.g. ``best.pt``), EMA is on
            but the checkpoint has no EMA state, or its optimizer state is another optimizer's
            or has other parameter groups (:func:`optimizer_mismatch`).
    """
    missing = [k for k in ("optimizer", "scheduler", "scaler", "rng") if k not in state]
    if missing:
        raise CheckpointError(f"cannot resume: the checkpoint lacks {missing} (use last.pt)")
    if ema is not None and "ema" not in state:
        raise CheckpointError("cannot resume with train.ema=true: the checkpoint has no EMA state")
    mismatch = optimizer_mismatch(state["optimizer"], optimizer)
    if mismatch is not None:
        raise CheckpointError(
            f"cannot resume: the checkpoint's optimizer state does not fit the configured "
            f"optimizer ({mismatch}); {_saved_optimizer_keys(state)}"
        )
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
    ranks = state.get("rng_ranks") or []
    set_rng_state(ranks[rank] if rank < len(ranks) else state["rng"])
    if loader_generator is not None and "loader" in state["rng"]:
        loader_generator.set_state(state["rng"]["loader"])
    if ema is not None:
        ema.load_state_dict(state["ema"])


def _optimizer_kind(group: dict[str, Any]) -> str:
    """``"adamw"`` for a parameter group of the Adam family (it has ``betas``), else ``"sgd"``
    (``train.optimizer``'s two choices)."""
    return "adamw" if "betas" in group else "sgd"


def optimizer_mismatch(saved: dict[str, Any], optimizer: torch.optim.Optimizer) -> str | None:
    """Why the optimizer state ``saved`` (``Optimizer.state_dict()`` of ``last.pt``) cannot be
    loaded into ``optimizer``; ``None`` when it can.

    ``train.optimizer`` changed (an SGD state has momentum buffers where AdamW needs ``step``
    and moments: loading it fails only at the first step, with ``KeyError: 'step'``) or
    ``train.no_decay_norm_bias`` changed (1 parameter group against 2) is reported as such.
    """
    groups = saved.get("param_groups") or []
    current = optimizer.param_groups
    if len(groups) != len(current):
        return f"{len(groups)} parameter group(s) saved, {len(current)} configured"
    saved_sizes = [len(group.get("params", ())) for group in groups]
    sizes = [len(group["params"]) for group in current]
    if saved_sizes != sizes:
        return (
            f"parameter groups of {saved_sizes} tensors saved, {sizes} configured: other "
            "parameters are trainable (a changed model.trainable_layers?)"
        )
    saved_kinds = [_optimizer_kind(group) for group in groups]
    kinds = [_optimizer_kind(group) for group in current]
    if saved_kinds != kinds:
        return f"saved for {saved_kinds[0]}, configured for {kinds[0]}"
    return None


def _saved_optimizer_keys(state: dict[str, Any]) -> str:
    """What to do about :func:`optimizer_mismatch`: resume with the optimizer keys of the run
    that wrote ``state`` (named from its ``config`` when it has them)."""
    config = state.get("config")
    train = config.get("train") if isinstance(config, dict) else None
    train = train if isinstance(train, dict) else {}
    keys = ("optimizer", "no_decay_norm_bias")
    saved = ", ".join(f"train.{key}={train[key]}" for key in keys if key in train)
    run = f" (the run has {saved})" if saved else ""
    return (
        f"resume with the run's train.optimizer and train.no_decay_norm_bias{run}, "
        "or start a new run in another --work-dir"
    )
