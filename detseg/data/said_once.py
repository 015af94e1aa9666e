"""The dataset readers' warnings said once per run and process.

A run reads its val images more than once: the ground truth of a VOC or YOLO split is built
by reading every image (:func:`~detseg.evaluation.coco_format.dataset_to_coco_gt`), each
validation reads them again, and TensorBoard draws the first ones. An unreadable image or a bad
label line would be warned about at every read; :func:`say_dataset_warnings_once` makes each
such warning (the same text from the same reader) appear once, and
:func:`quiet_dataset_warnings` silences a reader of images a validation has just read. What
the warnings count (the loaders' skipped images, the run's summary) is unchanged.

The said texts are kept per process: loader workers started (forked) after the ground truth
was built inherit them, so a validation does not repeat what building the ground truth said.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

#: The loggers of the dataset readers whose warnings name one image, label line or object, and
#: that of the ground truth built from a dataset (the images it leaves out).
DATASET_LOGGERS = (
    "detseg.evaluation.coco_format",
    "detseg.data.base",
    "detseg.data.coco",
    "detseg.data.coco_json",
    "detseg.data.voc",
    "detseg.data.yolo",
    "detseg.data.image_io",
    "detseg.data.seg_dataset",
    "detseg.data.target_checks",
    "detseg.data.voc_xml",
    "detseg.data.voc_split_files",
    "detseg.data.voc_split_files.repeated_ids",
)


class SaidOnce(logging.Filter):
    """Passes each warning text (per logger) the first time only; while ``quiet`` is above 0
    none, the texts counted as said all the same. Other levels always pass."""

    def __init__(self) -> None:
        super().__init__()
        self.said: set[tuple[str, str]] = set()
        self.quiet = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        key = (record.name, record.getMessage())
        if key in self.said:
            return False
        self.said.add(key)
        return not self.quiet


_FILTER = SaidOnce()


def say_dataset_warnings_once() -> None:
    """From now on, in this process, each warning of the dataset readers is logged once.

    Called where a run (training, ``tools/eval.py``) builds its datasets: each call starts
    afresh (what an earlier run in this process said is said again).
    """
    _FILTER.said.clear()
    _install()


@contextmanager
def quiet_dataset_warnings() -> Iterator[None]:
    """Leaves the dataset readers' warnings out in this block, in this process (they count as
    said: loader workers started later do not say them either). For a second reader of images
    a validation has just read (and warned about), such as TensorBoard's prediction images, and
    for the processes other than rank 0 of a multi-process run while they build the ground
    truth (rank 0 says what it finds)."""
    _install()
    _FILTER.quiet += 1
    try:
        yield
    finally:
        _FILTER.quiet -= 1


def _install() -> None:
    for name in DATASET_LOGGERS:
        reader_logger = logging.getLogger(name)
        if _FILTER not in reader_logger.filters:
            reader_logger.addFilter(_FILTER)
