"""How close an exported model's outputs are to the PyTorch model's, and the tolerances.

Detections are compared as sets: an exported model runs other kernels (onnxruntime's
convolutions, ``NonMaxSuppression``, ``TopK``), so detections of nearly equal score may come in
another order. Each exported detection is paired with an unused reference detection of the same
label whose box and score are within tolerance (the closest box first). A detection left
without a partner fails the check, unless it lies at a cut, where which of two nearly equal
scores stays is rounding: its score is within the score tolerance of the score threshold, or
both lists hold as many detections as the detection limit and its score is within the score
tolerance of its list's lowest. Anywhere else an unpaired detection is a mismatch: a list that
is not cut by the limit (one detection, say) is not excused for its lowest-scoring one, and
neither is the model's lowest where the exported list is short or empty (nothing was cut there).

Exactly equal scores are a tie that the model leaves open: class-wise NMS keeps whichever of
two overlapping boxes of one score it ranks first, and torchvision and onnxruntime rank equal
scores in other orders. An untrained detector shows this on every image (a Faster R-CNN box
head whose activations are all zero gives each proposal of a class one score). An unpaired
detection is excused as a tie when the other list holds an unpaired detection of the same label
that overlaps it by more than the NMS IoU threshold (so that it suppressed it there) and:

- scores the same within the score tolerance, with that score shared exactly (bit for bit) by
  two or more detections of the label in one of the lists: the tie itself; or
- scores at least as high (within the score tolerance) and is itself excused as a tie: a box
  below the tie that one runtime's tie winner suppressed and the other's did not.

What is excused is which boxes a runtime selects, never their values: where the model's
candidate detections are known (a single-stage detector's, before top-k, NMS and the limit:
:mod:`~detseg.export.candidate_detections`), an exported detection is excused only where it is
one of them within the tolerance. An untrained detector whose scores all tie at the limit
(every detection at the cut) thus still fails a file with shifted boxes or wrong labels.

An exported list is the output of class-wise NMS, so no two of its boxes of one label overlap
by more than the NMS IoU threshold: a list that holds such a pair (one box repeated, say) fails,
and its overlapping detections are not excused at a cut or as a tie.

Nothing else is excused: no tolerance is widened, and two overlapping boxes of one label whose
scores differ by a rounding error (1e-8) in each list, so that each runtime ranks another
first, are counted as mismatches. Such near-ties are rare on the random check images but
common on flat ones (a constant image gives rows of shifted boxes of one score).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torchvision.ops import box_iou


@dataclass(frozen=True)
class Tolerance:
    """What counts as the same output.

    A paired score ``a`` of the file and ``b`` of the model must agree relatively as well as
    absolutely: ``|a - b| <= clamp(score_rel * |b|, score_floor, score)``, 1 % of the model's
    score by default, at most ``1e-3`` and at least ``1e-6``. An absolute bound alone lets a
    file whose scores are all 0.9 x the model's pass wherever the scores stay below 0.01 (a
    trained detector's low-score detections: a 10 % error of 0.005 is 5e-4); honest float
    differences of onnxruntime's or TorchScript's kernels stay near 1e-6 relative. The floor
    keeps scores that are rounding noise themselves (below 1e-4) from failing on their own
    last digits.

    Attributes:
        box: largest difference of a box coordinate, as a fraction of the longer side of the
            input image (``1e-3``: 0.1 px on a 100 px image, 0.8 px on an 800 px one).
        score: largest score difference (absolute); also how close to a cut (the score
            threshold, the lowest score kept at the detection limit) an unpaired detection is
            excused, and how close two tied scores are.
        score_rel: largest score difference, relative to the model's score.
        score_floor: the score difference always allowed (the relative bound of scores
            near 0 is smaller).
        logits_rel: largest logit difference, relative to the largest absolute reference logit
            (at least 1): ``|a - b| <= logits_rel * max(1, max |b|)``.
    """

    box: float = 1e-3
    score: float = 1e-3
    logits_rel: float = 1e-4
    score_rel: float = 1e-2
    score_floor: float = 1e-6

    def score_allowed(self, reference: Tensor) -> Tensor:
        """The largest difference allowed from each of the model's ``reference`` scores
        (``Float[M]``): ``clamp(score_rel * |reference|, score_floor, score)``."""
        low = min(self.score_floor, self.score)
        return (self.score_rel * reference.abs()).clamp(min=low, max=self.score)

    def describe_scores(self) -> str:
        """The score bound in words, for reports and help texts."""
        return (
            f"scores within {100 * self.score_rel:g}% of the PyTorch score (at most "
            f"{self.score:g}, at least {self.score_floor:g})"
        )


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
        tied: unmatched detections not at a cut that NMS ranked among exactly equal scores
            (see the module docstring); they do not fail the check.
        overlapping: exported detections overlapping another of their label by more than the
            NMS IoU threshold, which NMS never keeps (module docstring); they fail the check.
        unchecked: exported detections excused (at a cut or as a tie) without any check of
            their box, score or label: no candidates were known to find them among (a
            two-stage detector).
    """

    count: int
    reference_count: int
    paired: int
    unmatched: int
    at_cut: int
    max_box_diff: float
    max_score_diff: float
    box_tolerance: float
    tied: int = 0
    overlapping: int = 0
    unchecked: int = 0

    @property
    def passed(self) -> bool:
        return self.unmatched == self.at_cut + self.tied and self.overlapping == 0


#: How far above the NMS IoU threshold two kept boxes may overlap here: the exported boxes are
#: the runtime's own after rescaling, whose IoU may differ from the one its NMS computed in the
#: last digits.
_IOU_ROUNDING = 1e-4


def _cut_by_limit(count: int, reference_count: int, limit: int | None) -> bool:
    """Whether the detection limit cut both lists (each holds ``limit`` detections or more):
    only then may one list's lowest score be missing from the other. A short or empty exported
    list cut nothing, so the model's detections it lacks are not excused at the limit."""
    return limit is not None and min(count, reference_count) >= limit


def _at_cut(
    scores: Tensor,
    paired: Tensor,
    tolerance: float,
    score_thresh: float | None,
    cut_by_limit: bool,
) -> Tensor:
    """``Bool[N]``: unpaired detections at a cut: scoring within ``tolerance`` of
    ``score_thresh``, or (where the limit cut both lists: :func:`_cut_by_limit`) within
    ``tolerance`` of the list's lowest score."""
    at_cut = torch.zeros_like(paired)
    if scores.numel() == 0:
        return at_cut
    if score_thresh is not None:
        at_cut |= scores <= score_thresh + tolerance
    if cut_by_limit:
        at_cut |= scores <= scores.min() + tolerance
    return at_cut & ~paired


def _overlapping(boxes: Tensor, labels: Tensor, nms_thresh: float) -> Tensor:
    """``Bool[N]``: the detection (``boxes Float[N, 4]`` xyxy, ``labels Int64[N]``) overlaps
    another of its label by more than ``nms_thresh`` (beyond rounding): class-wise NMS keeps
    no such two, so a list holding them (a box repeated) is not an NMS output."""
    overlap = box_iou(boxes, boxes) > nms_thresh + _IOU_ROUNDING
    same_label = labels[:, None] == labels[None, :]
    other = ~torch.eye(boxes.shape[0], dtype=torch.bool)
    return (overlap & same_label & other).any(dim=1)


def _exact_ties(scores: Tensor, labels: Tensor) -> Tensor:
    """``Bool[N]``: the detection's score is shared bit for bit by another of its label."""
    same = (scores[:, None] == scores[None, :]) & (labels[:, None] == labels[None, :])
    return same.sum(dim=1) > 1


def _tie_excused(
    exported: tuple[Tensor, Tensor, Tensor, Tensor],
    reference: tuple[Tensor, Tensor, Tensor, Tensor],
    score_tolerance: float,
    nms_thresh: float,
    candidate_ties: tuple[Tensor, Tensor] | None = None,
) -> tuple[Tensor, Tensor]:
    """Unpaired detections that NMS ranked among exactly equal scores (module docstring).

    Two unpaired detections of one label, one from each list, overlapping above the NMS
    threshold, tie where either list holds another of their label at exactly their score, or,
    where the model's candidates are known (``candidate_ties``; the file's excused detections
    are then checked to be candidates), where their scores are equal (gap 0) or either is a
    candidate that another overlapping candidate of its label scores exactly alike: each
    runtime's NMS kept one of the two, and what the other's suppression let through is
    excused too. Without candidates a gap of 0 alone is no tie: a box moved by the file keeps
    its score.

    Args:
        exported, reference: ``(boxes Float[N, 4] xyxy, scores Float[N], labels Int64[N],
            paired Bool[N])`` of each list (``M`` for the reference).
        score_tolerance: the largest score difference of two boxes scored the same.
        nms_thresh: the detector's class-wise NMS IoU threshold.
        candidate_ties: ``Bool[N]``, ``Bool[M]``: the detection is a candidate tied with an
            overlapping candidate of its label (``None``: no candidates known).

    Returns:
        ``Bool[N]``, ``Bool[M]``: the excused detections of each list.
    """
    boxes, scores, labels, paired = exported
    ref_boxes, ref_scores, ref_labels, ref_paired = reference
    suppresses = (
        (labels[:, None] == ref_labels[None, :])
        & (box_iou(boxes, ref_boxes) > nms_thresh)
        & ~paired[:, None]
        & ~ref_paired[None, :]
    )  # [N, M]: either of the two boxes suppresses the other where both are candidates
    gap = scores[:, None] - ref_scores[None, :]
    equal = _exact_ties(scores, labels)[:, None] | _exact_ties(ref_scores, ref_labels)[None, :]
    if candidate_ties is not None:  # the file's detection is then checked among candidates
        equal = equal | (gap == 0) | candidate_ties[0][:, None] | candidate_ties[1][None, :]
    tie = suppresses & (gap.abs() <= score_tolerance) & equal
    excused, ref_excused = tie.any(dim=1), tie.any(dim=0)
    while True:  # below the tie: suppressed by the other list's excused winner
        more = excused | (suppresses & ref_excused[None, :] & (gap <= score_tolerance)).any(1)
        ref_more = ref_excused | (suppresses & excused[:, None] & (gap >= -score_tolerance)).any(0)
        if torch.equal(more, excused) and torch.equal(ref_more, ref_excused):
            return excused, ref_excused
        excused, ref_excused = more, ref_more


def _tied_candidates(found: dict[str, Tensor], nms_thresh: float) -> dict[str, Tensor]:
    """The candidates ``found`` whose score another candidate of their label, overlapping
    by more than ``nms_thresh``, shares bit for bit: NMS ranks the two in an open order."""
    boxes, scores, labels = (found[k].detach().cpu() for k in ("boxes", "scores", "labels"))
    tied = torch.zeros(scores.shape[0], dtype=torch.bool)
    for label in labels.unique().tolist():
        rows = (labels == label).nonzero().flatten()
        same = scores[rows][:, None] == scores[rows][None, :]
        overlap = box_iou(boxes[rows], boxes[rows]) > nms_thresh
        other = ~torch.eye(rows.numel(), dtype=torch.bool)
        tied[rows] = (same & overlap & other).any(dim=1)
    return {"boxes": boxes[tied], "scores": scores[tied], "labels": labels[tied]}


def among_candidates(
    boxes: Tensor,
    scores: Tensor,
    labels: Tensor,
    found: dict[str, Tensor],
    box_tolerance: float,
    score_allowed: Tensor,
) -> Tensor:
    """``Bool[N]``: each detection (``boxes Float[N, 4]`` xyxy pixels, ``scores``,
    ``labels``) is one of the candidates ``found``: the same label, every box coordinate within
    ``box_tolerance`` pixels and the score within ``score_allowed`` (``Float[N]``) of one."""
    result = torch.zeros(boxes.shape[0], dtype=torch.bool)
    found_boxes, found_scores, found_labels = (
        found[k].detach().cpu() for k in ("boxes", "scores", "labels")
    )
    for label in labels.unique().tolist():
        rows, columns = labels == label, found_labels == label
        if not columns.any():
            continue
        box_diff = (boxes[rows][:, None, :] - found_boxes[columns][None, :, :]).abs().amax(-1)
        score_diff = (scores[rows][:, None] - found_scores[columns][None, :]).abs()
        close = (box_diff <= box_tolerance) & (score_diff <= score_allowed[rows][:, None])
        result[rows] = close.any(dim=1)
    return result


def compare_detections(
    exported: tuple[Tensor, Tensor, Tensor],
    reference: dict[str, Tensor],
    image_size: tuple[int, int],
    tolerance: Tolerance,
    score_thresh: float | None = None,
    limit: int | None = None,
    nms_thresh: float | None = None,
    candidates: dict[str, Tensor] | None = None,
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
        nms_thresh: the detector's class-wise NMS IoU threshold (``None``: no detection is
            excused as a tie among exactly equal scores, and overlapping exported boxes are
            not looked for).
        candidates: the model's detections before its selections (top-k, NMS, limit; see
            :mod:`~detseg.export.candidate_detections`): an exported detection is excused at
            a cut or as a tie only where it is one of them, within the tolerance (``None``:
            not checked, as for a two-stage detector).
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
        & (score_diff <= tolerance.score_allowed(ref_scores)[None, :])
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
    full = _cut_by_limit(boxes.shape[0], ref_boxes.shape[0], limit)
    at_cut = _at_cut(scores, paired, tolerance.score, score_thresh, full)
    ref_at_cut = _at_cut(ref_scores, ref_paired, tolerance.score, score_thresh, full)
    tied, ref_tied = torch.zeros_like(paired), torch.zeros_like(ref_paired)
    overlapping = torch.zeros_like(paired)
    if nms_thresh is not None:
        candidate_ties = None
        if candidates is not None:
            found = _tied_candidates(candidates, nms_thresh)
            candidate_ties = (
                among_candidates(
                    boxes, scores, labels, found, box_tolerance, tolerance.score_allowed(scores)
                ),
                among_candidates(
                    ref_boxes,
                    ref_scores,
                    ref_labels,
                    found,
                    box_tolerance,
                    tolerance.score_allowed(ref_scores),
                ),
            )
        tied, ref_tied = _tie_excused(
            (boxes, scores, labels, paired),
            (ref_boxes, ref_scores, ref_labels, ref_paired),
            tolerance.score,
            nms_thresh,
            candidate_ties,
        )
        overlapping = _overlapping(boxes, labels, nms_thresh)
        at_cut, tied = at_cut & ~overlapping, tied & ~overlapping
    unchecked = 0
    if candidates is not None:  # the selection is excused, never the values
        real = among_candidates(
            boxes, scores, labels, candidates, box_tolerance, tolerance.score_allowed(scores)
        )
        at_cut, tied = at_cut & real, tied & real
    else:  # nothing to check an excused detection against: counted, for the report
        unchecked = int((at_cut | tied).sum())
    return DetectionComparison(
        count=boxes.shape[0],
        reference_count=ref_boxes.shape[0],
        paired=len(pairs),
        unmatched=int((~paired).sum() + (~ref_paired).sum()),
        at_cut=int(at_cut.sum() + ref_at_cut.sum()),
        max_box_diff=max_box,
        max_score_diff=max_score,
        box_tolerance=box_tolerance,
        tied=int((tied & ~at_cut).sum() + (ref_tied & ~ref_at_cut).sum()),
        overlapping=int(overlapping.sum()),
        unchecked=unchecked,
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
