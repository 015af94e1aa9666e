"""Write an evaluation's files beside the previous ones and swap them in only once all are made.

An evaluation into the folder of an earlier one must leave no earlier file beside its own (a
detector's ``report.html`` beside a segmenter's ``metrics.json``), yet an evaluation that
fails half-way (bad data, a crash, Ctrl-C) must leave the earlier results as they were.
:func:`staged_outputs` gives the evaluation a hidden folder inside the output folder; when the
evaluation ends well each of its files replaces its namesake (``os.replace``: a reader sees the
old file or the new one, never half of one), then the
:data:`~detseg.evaluation.report.EVALUATION_FILES` the new evaluation did not write are
deleted. When it fails, the hidden folder is deleted and the output folder is as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from detseg.evaluation.report import remove_stale_outputs

logger = logging.getLogger(__name__)

#: Name prefix of the hidden folder an evaluation writes into before its files are moved out.
STAGING_PREFIX = ".eval-in-progress-"


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
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        yield stage
        written = [path.name for path in sorted(stage.iterdir()) if path.is_file()]
        for name in written:
            os.replace(stage / name, out / name)
        logger.info("moved the new evaluation's files from %s into %s", stage, out)
        remove_stale_outputs(out, keep=[*keep, *(out / name for name in written)])
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created and not any(out.iterdir()):  # a failed first evaluation leaves no folder
            out.rmdir()


def moved_paths(lines: Sequence[str], stage: Path, out: Path) -> list[str]:
    """``lines`` (e.g. ``"Wrote .../report.html"``) naming ``out`` where they named ``stage``."""
    return [line.replace(str(stage), str(out)) for line in lines]
