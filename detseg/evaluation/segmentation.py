"""Semantic segmentation metrics from one confusion matrix.

Rows of the matrix are ground-truth classes, columns predicted classes; pixels
whose target is ``ignore_index`` are not counted. A class is *absent* when it
appears neither in the (counted) ground truth nor in the prediction: its IoU is
``nan`` and it is left out of every mean.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


class ConfusionMatrix:
    """Streaming confusion-matrix accumulator.

    Args:
        num_classes: number of classes C, background included (labels ``0..C-1``).
        ignore_index: target value whose pixels are skipped.

    Attributes:
        matrix: ``Int64[C, C]`` pixel counts, rows ground truth, columns predicted.

    Raises:
        ValueError: ``num_classes`` below 1 or no integer, an ``ignore_index`` that is no
            integer.

    Example:
        >>> cm = ConfusionMatrix(num_classes=3)
        >>> cm.update(pred, target)  # Int64[B, H, W] each, any number of times
        >>> metrics = cm.compute()
    """

    def __init__(self, num_classes: int, ignore_index: int = 255) -> None:
        for name, value in (("num_classes", num_classes), ("ignore_index", ignore_index)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(
                    f"{name} must be an integer, got {value!r} ({type(value).__name__})"
                )
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)

    def reset(self) -> None:
        """Sets every count back to zero."""
        self.matrix.zero_()

    def update(self, pred: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray) -> None:
        """Adds one batch of label maps.

        Args:
            pred: predicted labels, integer ``[..., H, W]`` in ``0..C-1`` (tensor on any
                device, or array).
            target: ground-truth labels, same shape, in ``0..C-1`` or ``ignore_index``.

        Raises:
            ValueError: on different shapes, a float label that is no whole number (a cast
                would truncate it to another class), or a label out of range (``pred`` is
                checked only where ``target`` is not ``ignore_index``).
        """
        pred, target = torch.as_tensor(pred), torch.as_tensor(target)
        if pred.shape != target.shape:
            raise ValueError(
                f"pred shape {tuple(pred.shape)} differs from target shape {tuple(target.shape)}; "
                "predict at the target's resolution"
            )
        pred, target = pred.reshape(-1).cpu(), target.reshape(-1).cpu()
        _check_whole(pred, "pred")
        _check_whole(target, "target")
        pred, target = pred.to(torch.int64), target.to(torch.int64)
        keep = target != self.ignore_index
        pred, target = pred[keep], target[keep]
        self._check_range(pred, "pred")
        self._check_range(target, "target")
        flat = target * self.num_classes + pred
        counts = torch.bincount(flat, minlength=self.num_classes**2)
        self.matrix += counts.reshape(self.num_classes, self.num_classes)

    def _check_range(self, labels: torch.Tensor, name: str) -> None:
        """Raise ``ValueError`` naming ``name`` if a label is outside ``0..C-1``."""
        bad = (labels < 0) | (labels >= self.num_classes)
        if bad.any():
            raise ValueError(
                f"{name} contains label {int(labels[bad][0])}, outside 0..{self.num_classes - 1} "
                f"(ignore_index={self.ignore_index}); check num_classes"
            )

    def compute(self) -> dict[str, Any]:
        """Metrics of everything added so far.

        Returns:
            ``mIoU``: mean IoU over present classes. ``IoU``: list of C floats,
            ``nan`` for absent classes. ``pixel_acc``: correct / counted pixels.
            ``mean_acc``: mean over classes with ground-truth pixels of their
            recall (a class only predicted, never in the ground truth, has no
            accuracy and is left out). ``fwIoU``: IoU weighted by each class's
            share of ground-truth pixels. ``absent_classes``: list of class
            indices absent from both. ``confusion_matrix``: the counts,
            ``C`` lists of ``C`` ints (rows ground truth, columns predicted), e.g. for
            :func:`~detseg.evaluation.confusion_plot.save_confusion_matrix`. Every
            number is ``nan`` when no pixel has been counted.
        """
        matrix = self.matrix.to(torch.float64).numpy()
        true_pos = np.diag(matrix)
        gt_pixels = matrix.sum(axis=1)
        pred_pixels = matrix.sum(axis=0)
        union = gt_pixels + pred_pixels - true_pos
        present = union > 0
        iou = np.full(self.num_classes, math.nan)
        iou[present] = true_pos[present] / union[present]
        has_gt = gt_pixels > 0
        total = gt_pixels.sum()
        return {
            "mIoU": float(iou[present].mean()) if present.any() else math.nan,
            "IoU": [float(v) for v in iou],
            "pixel_acc": float(true_pos.sum() / total) if total else math.nan,
            "mean_acc": float((true_pos[has_gt] / gt_pixels[has_gt]).mean())
            if has_gt.any()
            else math.nan,
            "fwIoU": float((gt_pixels[has_gt] * iou[has_gt]).sum() / total) if total else math.nan,
            "absent_classes": [int(c) for c in np.flatnonzero(~present)],
            "confusion_matrix": self.matrix.tolist(),
        }


def segmentation_metrics(
    preds: torch.Tensor | Sequence[torch.Tensor | np.ndarray],
    targets: torch.Tensor | Sequence[torch.Tensor | np.ndarray],
    num_classes: int,
    ignore_index: int = 255,
) -> dict[str, Any]:
    """mIoU, per-class IoU, pixel / mean accuracy and fwIoU of label maps.

    Args:
        preds: predicted labels in ``0..C-1``, ``Int64[N, H, W]`` or a list of ``[H, W]``
            (sizes may differ between images).
        targets: ground-truth labels in the same layout, ``ignore_index`` for void.
        num_classes: number of classes C, background included.
        ignore_index: target value whose pixels are skipped.

    Returns:
        See :meth:`ConfusionMatrix.compute`.

    Raises:
        ValueError: ``preds`` and ``targets`` differ in length, a pair differs in shape, a
            label is out of range or a float that is no whole number, or ``num_classes < 1``.
    """
    if len(preds) != len(targets):
        raise ValueError(f"got {len(preds)} predictions for {len(targets)} targets")
    matrix = ConfusionMatrix(num_classes, ignore_index)
    for pred, target in zip(preds, targets, strict=True):
        matrix.update(pred, target)
    return matrix.compute()


def _check_whole(labels: torch.Tensor, name: str) -> None:
    """Raise ``ValueError`` naming ``name`` if float ``labels`` hold a value that is no whole
    number (probabilities, a bilinearly resized map): the cast to int64 would truncate 0.7 to
    class 0 and score the wrong class without a word."""
    if not labels.is_floating_point():
        return
    fractional = ~torch.isfinite(labels) | (labels != labels.round())
    if fractional.any():
        raise ValueError(
            f"{name} holds non-integer label {float(labels[fractional][0]):g}; give class "
            "indices (the argmax of the logits; a label map resized with nearest, not bilinear)"
        )
