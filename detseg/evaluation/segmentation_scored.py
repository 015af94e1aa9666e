"""A segmentation evaluation that scored no pixel is an error, not a table of nan.

Where the ground truth of every image read is void (label 255) everywhere, the confusion
matrix stays empty and every number (mIoU, pixel accuracy, each IoU) is nan. That is a run
with nothing scored, as one that read no image (``evaluation_split.check_some_image_read``):
``tools/eval.py`` stops with one line naming the split and its label maps instead of writing
a report of nan. A split where only some images are void is scored on the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def check_some_pixel_scored(metrics: dict[str, Any], val_set: Any, split: str) -> None:
    """Refuse the result of a segmentation evaluation whose confusion matrix is empty though
    some image was read.

    Args:
        metrics: the dict of ``detseg.engine.validation.evaluate_segmentation`` (``images``,
            ``confusion_matrix``).
        val_set: the evaluated dataset (or its first ``eval.max_images`` images).
        split: the split as the report names it (``evaluation_split.evaluated_split``).

    Raises:
        ValueError: one line naming the split, its label maps and what to check.
    """
    if metrics["images"] == 0 or any(any(row) for row in metrics["confusion_matrix"]):
        return
    where = ground_truth_source(val_set)
    raise ValueError(
        f"no pixel of the {metrics['images']} image(s) of {split} was scored: their ground truth"
        f"{f' ({where})' if where else ''} is void (255) everywhere, so every number would be "
        "nan; check that data.root and the val split point at the label maps and that these "
        "hold class ids 0..K (detseg-check-data, tools/check_data.py, counts each class's pixels)"
    )


def ground_truth_source(val_set: Any) -> str | None:
    """Where the label maps of a segmentation split come from, for messages: the folder of
    its label map files, or the annotation file they are drawn from (COCO); ``None`` where
    the dataset does not say."""
    dataset = getattr(val_set, "dataset", val_set)  # DatasetHead: the first eval.max_images
    try:
        path = Path(dataset.mask_path(0))
    except (AttributeError, NotImplementedError, IndexError, TypeError):
        return None
    return str(path if path.suffix.lower() == ".json" else path.parent)
