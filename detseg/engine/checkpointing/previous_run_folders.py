"""A previous run's ``last.pt`` and its copies, moved into ``previous_last.1/`` at the start
of a new run.

Left in the work dir, they would become the new run's older copies
(:mod:`~detseg.engine.checkpointing.rotation`), and ``--resume`` of the new run could fall back
to the other run's checkpoint; in their own folders (``previous_last.1``, ``previous_last.2``,
... up to ``train.keep_checkpoints``) no ``--resume`` of the new run finds them.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from detseg.engine.checkpointing.checkpoint import fsync_dir
from detseg.engine.checkpointing.rotation import older_copies

logger = logging.getLogger(__name__)


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
    fsync_dir(folder)
    fsync_dir(path.parent)
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
