"""The checkpoint a run folder stands for: its ``best.pt``, else its ``last.pt``.

``detseg.load("runs/demo")``, ``model.init_from: runs/demo``, ``tools/eval.py runs/demo`` and
``tools/export.py runs/demo`` (:func:`detseg.export.export_model`) all take a training run's
folder (``tools/train.py`` writes ``best.pt`` and ``last.pt`` there) and read the file this
rule picks; each caller logs the file it reads (:func:`checkpoint_of` does both for a caller
that takes a file or a folder). ``tools/train.py RUN/config.yaml --resume`` continues the
folder that file is in (:func:`resumed_run_folder`). Only :mod:`detseg.torch_files` is
imported.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from detseg.torch_files import CheckpointError

__all__ = [
    "RUN_CHECKPOINTS",
    "checkpoint_of",
    "holds_last_checkpoint",
    "resumed_run_folder",
    "run_checkpoint",
]

logger = logging.getLogger(__name__)

#: What to give instead of a folder without checkpoints, as the tools that take one say it.
CHECKPOINT_OR_RUN = (
    "a best.pt / last.pt written by detseg-train (tools/train.py), or the run folder holding it"
)

#: The files of a run folder that stand for it, in order, with why that one is read.
RUN_CHECKPOINTS = (("best.pt", "its best checkpoint"), ("last.pt", "it has no best.pt"))

#: The names of the checkpoints a run resumes from: ``last.pt`` and its older copies
#: ``last.<k>.pt`` (``train.keep_checkpoints``).
LAST_CHECKPOINT_NAME = re.compile(r"last(\.\d+)?\.pt")


def holds_last_checkpoint(folder: Path) -> bool:
    """``folder`` is a folder holding a ``last.pt`` or an older copy ``last.<k>.pt``."""
    return folder.is_dir() and any(
        LAST_CHECKPOINT_NAME.fullmatch(path.name) for path in folder.iterdir()
    )


def resumed_run_folder(config: str | os.PathLike) -> Path | None:
    """The run folder a ``--resume`` of ``config`` continues when no work dir is given: the
    folder of a run's own ``config.yaml`` (written beside its checkpoints) that holds a
    ``last.pt`` (:func:`holds_last_checkpoint`), wherever the folder is now and from any current
    folder. The file's ``work_dir`` key names where the run was started: a relative path read
    from another folder, or the original of a copied folder, which a resume must not write
    into. ``None`` for any other config file."""
    path = Path(config).expanduser()
    if path.name != "config.yaml" or not holds_last_checkpoint(path.parent):
        return None
    return path.parent


def run_checkpoint(folder: Path, give: str) -> tuple[Path, str]:
    """The checkpoint of the run folder ``folder`` and why it is the one read.

    Args:
        folder: an existing folder.
        give: what to give instead, ending the message of a folder without checkpoints.

    Returns:
        ``(folder / "best.pt", "its best checkpoint")``, else ``(folder / "last.pt", "it has
        no best.pt")``.

    Raises:
        CheckpointError: the folder holds neither; the message names it, the ``.pt`` files it
            holds (at most five) and ``give``.
    """
    for name, why in RUN_CHECKPOINTS:
        if (folder / name).is_file():
            return folder / name, why
    others = sorted(path.name for path in folder.glob("*.pt"))
    found = f" (it holds {', '.join(others[:5])})" if others else ""
    raise CheckpointError(f"{folder} is a folder without best.pt or last.pt{found}; give {give}")


def checkpoint_of(path: str | os.PathLike, action: str, give: str = CHECKPOINT_OR_RUN) -> Path:
    """``path`` as a ``Path`` (``~`` expanded), or the checkpoint it stands for when it is a run
    folder (:func:`run_checkpoint`), with an INFO line naming the file read and why:
    ``evaluating runs/x/best.pt (runs/x is a run folder; its best checkpoint)``.

    Args:
        path: a checkpoint file, or a folder written by ``tools/train.py``. Anything else
            (a missing path included) comes back as it is, for the reader's own checks.
        action: the first word of the log line (``"evaluating"``, ``"exporting"``).
        give: what to give instead, ending the message of a folder without checkpoints.

    Raises:
        CheckpointError: a folder without ``best.pt`` or ``last.pt``.
    """
    given = Path(path).expanduser()
    if not given.is_dir():
        return given
    checkpoint, why = run_checkpoint(given, give)
    logger.info("%s %s (%s is a run folder; %s)", action, checkpoint, given, why)
    return checkpoint
