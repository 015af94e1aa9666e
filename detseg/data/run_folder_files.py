"""Training run folders inside a dataset folder, which the image listings leave out.

A work dir made inside a YOLO images folder (``--work-dir data/images/train/run``) holds the
run's own outputs (``curves.png``); the images folder is listed with its subfolders
(:func:`~detseg.data.yolo.list_files`), so the next run would read them as images without
objects. A folder holding what ``detseg-train`` writes into its work dir is a run folder, and
is not listed.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["RUN_FOLDER_FILES", "is_run_folder"]

#: The files that make a folder a run folder: all of one group (``detseg-train`` writes
#: ``config.yaml`` when a run starts, ``metrics.jsonl`` and ``last.pt`` as it goes).
RUN_FOLDER_FILES = (("config.yaml", "metrics.jsonl"), ("last.pt",))


def is_run_folder(folder: Path) -> bool:
    """``folder`` holds a ``config.yaml`` and a ``metrics.jsonl``, or a ``last.pt``: the work
    dir of a training run (:data:`RUN_FOLDER_FILES`)."""
    return any(all((folder / name).is_file() for name in group) for group in RUN_FOLDER_FILES)
