"""Rotating copies of a checkpoint, and the fallback to them when the newest is damaged.

:func:`save_rotating` keeps the previous ``last.pt`` files as ``last.1.pt``, ``last.2.pt``, ...
(``train.keep_checkpoints``); :func:`load_resumable` falls back to them, newest first, when
``last.pt`` is damaged, and moves the damaged files aside (``last.pt.corrupt``,
:func:`set_aside`) so that no later rotation puts them over the good copy. A new run (not
``--resume``) in a used work dir keeps the previous run's ``best.pt`` the same way
(:func:`keep_previous`: ``best.1.pt``, ``best.2.pt``, ... up to ``train.keep_checkpoints``)
before it writes its own. Separate from :mod:`~detseg.engine.checkpointing.checkpoint`, which
writes and reads one file: this module decides which files are kept, under which names.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

from detseg.engine.checkpointing.checkpoint import fsync_dir, load_checkpoint, save_checkpoint
from detseg.engine.checkpointing.resume_state import TRAIN_SETTINGS, ResumeError
from detseg.named_settings import NameOnly, literal
from detseg.shell_words import shell_word
from detseg.torch_files import CheckpointError, is_complete

logger = logging.getLogger(__name__)


def older_copy(path: str | Path, k: int) -> Path:
    """Name of the ``k``-th older copy of ``path`` (``last.pt`` -> ``last.1.pt``)."""
    path = Path(path)
    return path.with_name(f"{path.stem}.{k}{path.suffix}")


def save_rotating(path: str | Path, state: dict[str, Any], keep: int) -> None:
    """:func:`save_checkpoint`, keeping the ``keep`` previous versions of ``path``.

    ``path.{k-1}`` becomes ``path.{k}`` (oldest dropped), then the current ``path`` is
    hard-linked (copied where links are not supported) to ``path.1`` before the new file
    replaces it, so a good ``path`` exists at every moment; no temporary link is left, also
    when a kill after an earlier rotation left ``path.1`` a link to ``path``. A current
    ``path`` that is not a complete checkpoint (cut short: its zip directory is unreadable) is
    never rotated over the good older copies: it is moved aside (:func:`set_aside`) instead.
    Once the new file is written, copies beyond ``keep`` (left by a run saved with a higher
    ``keep``) are deleted.
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
            # a kill after an earlier rotation's replace left path.1 a link to path: the
            # rename of two names of one file does nothing, and path.1 already holds path
            link.unlink(missing_ok=True)
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
    fsync_dir(path.parent)
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
    fsync_dir(path.parent)
    return target


def _shift_older_copies(path: Path, keep: int) -> None:
    """``path.{k-1}`` becomes ``path.{k}`` for ``k = keep .. 2`` (``path.keep`` dropped)."""
    for k in range(keep, 1, -1):
        if older_copy(path, k - 1).is_file():
            os.replace(older_copy(path, k - 1), older_copy(path, k))


def load_resumable(path: str | Path, set_aside_damaged: bool = True) -> tuple[dict[str, Any], Path]:
    """Load ``path`` (``last.pt``), or the newest good older copy when it is damaged.

    When an older copy is used, the newer files that failed to load are moved aside
    (``last.pt`` -> ``last.pt.corrupt``, see :func:`set_aside`), so the next
    :func:`save_rotating` never rotates them over the good copy the run resumed from; one
    warning says why each failed, which copy the run resumes from and where the damaged files
    went. When no copy can be read, nothing is logged: the raised error alone names them, so
    the tools print one line.

    Args:
        path: the ``last.pt`` to resume from.
        set_aside_damaged: move the damaged files aside (only the process that writes the
            checkpoints should: rank 0 of a distributed run).

    Returns:
        ``(state, the file it came from)``.

    Raises:
        ResumeError: neither ``path`` nor any ``path.<k>`` copy can be read; the message
            names every file tried and why, and how to go on: a new run from the folder's
            ``best.pt`` (``model.init_from``) when it holds a complete one (a
            :class:`CheckpointError`; see
            :class:`~detseg.engine.checkpointing.resume_state.ResumeError`).
    """
    path = Path(path)
    errors, damaged = [], []
    for candidate in [path, *older_copies(path)]:
        try:
            state = load_checkpoint(candidate)
        except CheckpointError as err:
            errors.append(_without_advice(str(err)))
            if candidate.is_file():
                damaged.append(candidate)
            continue
        if candidate != path:  # each damaged file is told once: here, else in the error
            notes = [*errors, f"resuming from the older copy {candidate.name}"]
            if set_aside_damaged and damaged:
                moved = ", ".join(_set_aside_unreadable(p).name for p in damaged)
                files = "file" if len(damaged) == 1 else "files"
                notes[-1] += f", the damaged {files} moved to {moved}"
            logger.warning("%s", "; ".join(notes))
        return state, candidate
    raise _no_readable_copy(path, errors)


def _no_readable_copy(path: Path, errors: list[str]) -> ResumeError:
    """The error of :func:`load_resumable` when no copy of ``path`` can be read: the files
    tried and why (``errors``), then how to go on, from the folder's ``best.pt`` when it is a
    complete checkpoint."""
    best = path.with_name("best.pt")
    reasons = "cannot resume: " + literal("; ".join(errors))
    if best.is_file() and is_complete(best):
        setting = f"model.init_from={best}"
        return ResumeError(
            reasons
            + ". Start a new run from the folder's best.pt without {resume} ({overrides}), or "
            "point {work_dir} at the run's folder.",
            overrides=NameOnly(f"overrides=[{setting!r}]", shell_word(setting)),
            **TRAIN_SETTINGS,
        )
    return ResumeError(
        reasons + ". Start without {resume}, or point {work_dir} at the run's folder.",
        **TRAIN_SETTINGS,
    )


def _without_advice(message: str) -> str:
    """A :class:`CheckpointError` message without its closing advice (``"; give a complete
    best.pt / last.pt"``), which does not apply to a run's own ``last.pt``."""
    return re.sub(r"; give [^;]*$", "", message)


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


def _set_aside_unreadable(path: Path) -> Path:
    """:func:`set_aside` for :func:`load_resumable`; returns the new name.

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
    return moved


def _copy_number(path: Path, candidate: Path) -> int:
    """``k`` of ``last.k.pt``, 0 for other names."""
    match = re.fullmatch(rf"{re.escape(path.stem)}\.(\d+){re.escape(path.suffix)}", candidate.name)
    return int(match.group(1)) if match else 0
