"""How close an exported model's outputs are to the PyTorch model's, and the tolerances.

Detections are compared as sets: an exported model runs other kernels (onnxruntime's
convolutions, ``NonMaxSuppression``, ``TopK``), so detections of nearly equal score may come in
another order. Each exported detection is paired with an unused reference detection of the same
label whose box and score are within tolerance (the closest box first). A detection left
without a partner fails the check, unless it lies at a cut, where which of two nearly equal
scores stays is rounding: its score is within the score tolerance of the score threshold, or
its list holds as many detections as the detection limit and its score is within the score
tolerance of the list's lowest. Anywhere else an unpaired detection is a mismatch: a list that
is not cut by the limit (one detection, say) is not excused for its lowest-scoring one.

The same rounding decides between two overlapping boxes of one label whose scores differ by a
rounding error (1e-8): whichever ranks first suppresses the other. Such near-ties are rare on
the random check images but common on flat ones (a constant image gives rows of shifted boxes
of one score); they are counted as mismatches, not excused.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Tolerance:
    """What counts as the same output.

    Attributes:
        box: largest difference of a box coordinate, as a fraction of the longer side of the
            input image (``1e-3``: 0.1 px on a 100 px image, 0.8 px on an 800 px one).
        score: largest score difference.
        logits_rel: largest logit difference, relative to the largest absolute reference logit
            (at least 1): ``|a - b| <= logits_rel * max(1, max |b|)``.
    """

    box: float = 1e-3
    score: float = 1e-3
    logits_rel: float = 1e-4


@dataclass(frozen=True)
class DetectionComparison:
    """Exported vs reference detections of one image.

    Attributes:
        count: exported detections. reference_count: the model's.
        paired: exported detections paired with one of the model's (what was compared).
        unmatched: detections of either list without a partner within tolerance.
        at_cut: unmatched detections at the score threshold or the detection limit (see the
            module docstring); they do not fail the check.
        max_box_diff: largest box-coordinate difference (pixels) over the pairs.
        max_score_diff: largest score difference over the pairs.
        box_tolerance: the allowed box difference in pixels for this image.
    """

    count: int
    reference_count: int
    paired: int
    unmatched: int
    at_cut: int
    max_box_diff: float
    max_score_diff: float
    box_tolerance: float

    @property
    def passed(self) -> bool:
        return self.unmatched == self.at_cut


def _at_cut(
    scores: Tensor,
    paired: Tensor,
    tolerance: float,
    score_thresh: float | None,
    limit: int | None,
) -> int:
    """Unpaired detections at a cut: scoring within ``tolerance`` of ``score_thresh``, or (a
    list of ``limit`` detections or more) within ``tolerance`` of the list's lowest score."""
    if scores.numel() == 0:
        return 0
    at_cut = torch.zeros_like(paired)
    if score_thresh is not None:
        at_cut |= scores <= score_thresh + tolerance
    if limit is not None and scores.numel() >= limit:
        at_cut |= scores <= scores.min() + tolerance
    return int((at_cut & ~paired).sum())


def compare_detections(
    exported: tuple[Tensor, Tensor, Tensor],
    reference: dict[str, Tensor],
    image_size: tuple[int, int],
    tolerance: Tolerance,
    score_thresh: float | None = None,
    limit: int | None = None,
) -> DetectionComparison:
    """Pair exported detections with the model's (see the module docstring).

    Args:
        exported: ``boxes Float[N, 4]`` xyxy pixels, ``scores Float[N]``, ``labels Int64[N]``.
        reference: ``model.predict`` of the same image: ``boxes``, ``scores``, ``labels``.
        image_size: ``(H, W)`` of the input image (the box tolerance scales with it).
        tolerance: the :class:`Tolerance`.
        score_thresh: the detector's score threshold (``None``: no detection is excused for
            lying at it).
        limit: the detector's detection limit per image (``None``: no detection is excused for
            lying at it).
    """
    boxes, scores, labels = (t.detach().cpu() for t in exported)
    ref_boxes, ref_scores, ref_labels = (
        reference[k].detach().cpu() for k in ("boxes", "scores", "labels")
    )
    box_tolerance = tolerance.box * max(image_size)
    box_diff = (boxes[:, None, :] - ref_boxes[None, :, :]).abs().amax(dim=-1)  # [N, M]
    score_diff = (scores[:, None] - ref_scores[None, :]).abs()
    allowed = (
        (labels[:, None] == ref_labels[None, :])
        & (box_diff <= box_tolerance)
        & (score_diff <= tolerance.score)
    )
    cost = torch.where(allowed, box_diff, torch.full_like(box_diff, float("inf")))
    paired = torch.zeros(boxes.shape[0], dtype=torch.bool)
    ref_paired = torch.zeros(ref_boxes.shape[0], dtype=torch.bool)
    pairs: list[tuple[int, int]] = []
    for i in range(boxes.shape[0]):
        row = cost[i].masked_fill(ref_paired, float("inf"))
        if row.numel() and torch.isfinite(row.min()):
            j = int(row.argmin())
            paired[i], ref_paired[j] = True, True
            pairs.append((i, j))
    max_box = max_score = 0.0
    if pairs:
        rows, cols = torch.tensor(pairs).unbind(1)
        max_box, max_score = float(box_diff[rows, cols].max()), float(score_diff[rows, cols].max())
    return DetectionComparison(
        count=boxes.shape[0],
        reference_count=ref_boxes.shape[0],
        paired=len(pairs),
        unmatched=int((~paired).sum() + (~ref_paired).sum()),
        at_cut=_at_cut(scores, paired, tolerance.score, score_thresh, limit)
        + _at_cut(ref_scores, ref_paired, tolerance.score, score_thresh, limit),
        max_box_diff=max_box,
        max_score_diff=max_score,
        box_tolerance=box_tolerance,
    )


@dataclass(frozen=True)
class LogitsComparison:
    """Exported vs reference segmentation logits of one batch.

    Attributes:
        shape: the exported logits' shape. reference_shape: the model's.
        max_diff: largest absolute difference. scale: ``max(1, max |reference|)``.
        label_agreement: share of pixels with the same argmax label.
        tolerance: the allowed relative difference.
    """

    shape: tuple[int, ...]
    reference_shape: tuple[int, ...]
    max_diff: float
    scale: float
    label_agreement: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return self.shape == self.reference_shape and self.max_diff <= self.tolerance * self.scale


def compare_logits(exported: Tensor, reference: Tensor, tolerance: Tolerance) -> LogitsComparison:
    """Compare ``Float[B, C, H, W]`` logits of the exported model and of ``model(images)``."""
    exported, reference = exported.detach().cpu(), reference.detach().cpu()
    scale = max(1.0, float(reference.abs().max())) if reference.numel() else 1.0
    if exported.shape != reference.shape:
        return LogitsComparison(
            tuple(exported.shape),
            tuple(reference.shape),
            float("inf"),
            scale,
            0.0,
            tolerance.logits_rel,
        )
    diff = float((exported - reference).abs().max()) if reference.numel() else 0.0
    agreement = float((exported.argmax(1) == reference.argmax(1)).float().mean())
    return LogitsComparison(
        tuple(exported.shape),
        tuple(reference.shape),
        diff,
        scale,
        agreement,
        tolerance.logits_rel,
    )
