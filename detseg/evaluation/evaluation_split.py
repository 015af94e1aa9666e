"""The split a checkpoint is evaluated on: its loader, its name in the report, and the checks
that its classes are the checkpoint's and that some of its images were read.

Shared by the detector's (:mod:`detseg.evaluation.checkpoint_detection_eval`) and the
segmenter's (:mod:`detseg.evaluation.checkpoint_segmentation_eval`) evaluation.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader

from detseg.data.loader_workers import shutdown_workers
from detseg.data.registry import DATA_DEFAULTS
from detseg.shell_words import shell_word


@contextlib.contextmanager
def evaluation_loader(
    build: Callable[..., DataLoader], val_set: Any, cfg: Any, device: torch.device
) -> Iterator[DataLoader]:
    """``build`` (the detection or the segmentation loader) over ``val_set`` in order: batches
    of ``eval.batch_size``, the run's workers and prefetching, pinned on CUDA.

    A context manager: its worker processes end with the block, by an error too (see
    :func:`~detseg.data.loader_workers.shutdown_workers`).
    """
    loader = build(
        val_set,
        cfg.eval.batch_size,
        False,
        cfg.train.num_workers,
        device=device,
        prefetch_factor=cfg.train.prefetch_factor,
    )
    try:
        yield loader
    finally:
        shutdown_workers(loader)


def check_some_image_read(read: int, total: int, data: Any) -> None:
    """Refuse to report on an evaluation that read none of its ``total`` images (each skipped
    with a warning naming its file): its numbers (AP 0, mIoU nan) would score nothing.

    Raises:
        ValueError: ``read`` is 0 of ``total > 0``; one line naming the data.
    """
    if read == 0 and total > 0:
        raise ValueError(
            f"none of the {total} images of {evaluated_split(data)} could be read (the warnings "
            "above name each file): nothing to score; replace or remove the broken files "
            "(detseg-check-data, tools/check_data.py, lists them)"
        )


def evaluated_split(data: Any) -> str:
    """The data a checkpoint is evaluated on, as its report names it: the format, the root and
    the ``val`` keys (the format's defaults where the config sets none), e.g.
    ``coco at datasets/shapes (val_images test/images, val_ann annotations/instances_test.json)``:
    pointed at the held-out split, the report says so."""
    keys = {**DATA_DEFAULTS.get(data.format, {}), **data.options}
    split = ", ".join(f"{k} {v}" for k, v in keys.items() if k.startswith("val_") and v)
    return f"{data.format} at {data.root} ({split or 'val split'})"


def check_split_classes(split_classes: Sequence[str], classes: Sequence[str], data: Any) -> None:
    """Refuse to score a model on a split of other classes: its labels would be compared with
    another class's boxes or pixels.

    The line names the split (:func:`evaluated_split`: its annotation file) and what can be
    done: ``data.classes`` picks and orders the split's classes by name, so it helps only when
    the split has every class of the checkpoint.

    Raises:
        ValueError: ``split_classes`` is not ``classes`` (names and order).
    """
    split_classes, classes = list(split_classes), list(classes)
    if split_classes == classes:
        return
    absent = [name for name in classes if name not in split_classes]
    if absent:
        fix = (
            f"it has no class {', '.join(map(repr, absent))}: evaluate on data of the "
            "checkpoint's classes (a data yaml or annotations with these names)"
        )
    else:
        setting = shell_word(f"data.classes={json.dumps(classes, ensure_ascii=False)}")
        fix = f"pick them in the checkpoint's order with --set {setting}"
    raise ValueError(
        f"the val split's classes {split_classes} differ from the checkpoint's {classes} "
        f"({evaluated_split(data)}); {fix}"
    )
