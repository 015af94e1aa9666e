"""Write an evaluation's files beside the previous ones and swap them in only once all are made.

An evaluation into the folder of an earlier one must leave no earlier file beside its own (a
detector's ``report.html`` beside a segmenter's ``metrics.json``), yet an evaluation that
fails half-way (bad data, a crash, Ctrl-C) must leave the earlier results as they were.
:func:`staged_outputs` gives the evaluation a hidden folder inside the output folder
(``OUT/.eval-in-progress-*``); when the evaluation ends well each of its files replaces its
namesake (``os.replace``: a reader sees the old file or the new one, never half of one), then
the :data:`~detseg.evaluation.report.EVALUATION_FILES` the new evaluation did not write are
deleted. When it fails, the hidden folder is deleted, and so are the folders the evaluation
created (``--out a/b/c`` where only ``a`` existed: ``b`` and ``c``) if they are still empty;
the output folder is as it was. :func:`evaluate_staged` runs a whole evaluation so, and is what
the library's evaluations (``evaluate_checkpoint``, ``evaluate_prediction_files``) call.

A process killed outright (``SIGKILL``, the OOM killer, a power cut) cannot delete its hidden
folder. The evaluation holds an exclusive ``flock`` on its hidden folder while it runs, which
the kernel drops when the process ends however it ends; the next evaluation into the same
output folder deletes every hidden folder it can lock (no process is writing into it), and
leaves those of evaluations still running. Without ``fcntl`` (Windows) no hidden folder of an
earlier evaluation is deleted: a warning names them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from detseg.evaluation.report import remove_stale_outputs
from detseg.evaluation.summary import EvaluationSummary

try:
    import fcntl
except ImportError:  # Windows: no flock, abandoned staging folders are only reported
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

#: Name prefix of the hidden folder an evaluation writes into before its files are moved out.
STAGING_PREFIX = ".eval-in-progress-"


def evaluate_staged(
    out: str | os.PathLike,
    evaluate: Callable[[Path], EvaluationSummary],
    keep: Sequence[str | os.PathLike] = (),
) -> EvaluationSummary:
    """``evaluate(stage)`` writing into a staging folder of ``out`` (see :func:`staged_outputs`);
    its summary, whose ``wrote`` lines name the files' final paths in ``out``.

    Args:
        out: the output folder (created, with its missing parents).
        evaluate: writes the evaluation's files into the folder it is given.
        keep: files of ``out`` never deleted as stale (the evaluation's inputs).
    """
    out = Path(out)
    with staged_outputs(out, keep) as stage:
        summary = evaluate(stage)
    summary.wrote = moved_paths(summary.wrote, stage, out)
    return summary


@contextlib.contextmanager
def staged_outputs(
    out: str | os.PathLike, keep: Sequence[str | os.PathLike] = ()
) -> Iterator[Path]:
    """A fresh folder inside ``out`` (created) to write an evaluation into; see the module
    docstring for what happens to ``out`` when the block ends well and when it raises.

    Args:
        out: the output folder.
        keep: files of ``out`` never deleted as stale (the inputs of the evaluation, e.g. a
            ``--pred`` file named ``detections.json``).

    Yields:
        The staging folder; only its plain files are moved into ``out``.
    """
    out = Path(out)
    created = [folder for folder in (out, *out.parents) if not folder.exists()]  # deepest first
    out.mkdir(parents=True, exist_ok=True)
    remove_abandoned_stages(out)
    stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    lock = _lock(stage)
    try:
        yield stage
        written = [path.name for path in sorted(stage.iterdir()) if path.is_file()]
        for name in written:
            os.replace(stage / name, out / name)
        logger.debug("moved the new evaluation's files from %s into %s", stage, out)
        remove_stale_outputs(out, keep=[*keep, *(out / name for name in written)])
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if lock is not None:
            os.close(lock)
        _remove_empty_folders(created)


def remove_abandoned_stages(out: str | os.PathLike) -> list[Path]:
    """Delete the staging folders in ``out`` that no running evaluation holds (left by a
    process killed before it could delete its own); those of running evaluations stay.

    Returns:
        The deleted folders.
    """
    stages = sorted(
        path
        for path in Path(out).glob(f"{STAGING_PREFIX}*")
        if path.is_dir() and not path.is_symlink()
    )
    if stages and fcntl is None:
        logger.warning(
            "%s: staging folders of earlier evaluations (%s) are left: without fcntl it cannot "
            "be told whether they are in use; delete them once no evaluation writes into %s",
            out,
            ", ".join(path.name for path in stages),
            out,
        )
        return []
    removed = [stage for stage in stages if _remove_if_unused(stage)]
    if removed:
        logger.info(
            "removed the staging folders of earlier evaluations that ended without finishing: %s",
            ", ".join(str(path) for path in removed),
        )
    return removed


def _lock(stage: Path) -> int | None:
    """An open descriptor of ``stage`` holding an exclusive flock on it (released when the
    descriptor is closed or the process ends); ``None`` without fcntl."""
    if fcntl is None:
        return None
    descriptor = os.open(stage, os.O_RDONLY)
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return descriptor


def _remove_if_unused(stage: Path) -> bool:
    """Delete ``stage`` when its flock can be taken (no process holds it); whether it was."""
    try:
        descriptor = _lock(stage)
    except (BlockingIOError, PermissionError):  # a running evaluation's
        return False
    except FileNotFoundError:  # deleted meanwhile by its own evaluation
        return False
    try:
        shutil.rmtree(stage, ignore_errors=True)
    finally:
        if descriptor is not None:
            os.close(descriptor)
    return not stage.exists()


def _remove_empty_folders(folders: Sequence[Path]) -> None:
    """Delete ``folders`` (deepest first) while they are empty: the output folder and the
    parents an evaluation created, once a failed evaluation has deleted its files."""
    for folder in folders:
        try:
            if any(folder.iterdir()):
                return
            folder.rmdir()
        except OSError:  # gone already, or another process writes into it
            return


def moved_paths(lines: Sequence[str], stage: Path, out: Path) -> list[str]:
    """``lines`` (e.g. ``"Wrote .../report.html"``) naming ``out`` where they named ``stage``."""
    return [line.replace(str(stage), str(out)) for line in lines]
