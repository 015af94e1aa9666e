"""Non-maximum suppression and the final filtering of detections.

Two implementations give the same kept boxes:

- ``torchvision.ops.nms``: the reference, and the path on the CPU;
- :mod:`detseg.ops.nms_triton`: Triton kernels that run the greedy scans of many groups
  (images, levels, classes) with two kernel launches; the path on CUDA when Triton is installed.

:func:`grouped_nms` takes a padded batch of groups ``[G, N]`` and returns a keep mask, so a
detector suppresses the boxes of all its images at once, without a host synchronisation.
:func:`batched_nms` takes one flat list of boxes with a group id each (torchvision's
interface) and returns the kept indices.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache

import torch
import torchvision.ops
from torch import Tensor

from detseg.ops.boxes import _check_boxes

NMS_BACKENDS = ("auto", "triton", "torchvision")


def _one_call_limit(device: torch.device) -> int:
    """Up to this many boxes torchvision's ``batched_nms`` runs one NMS on offset boxes; above
    it, its per-group loop (see :func:`order_like_batched_nms`): 1,000 on CPU, 5,000 else."""
    return 1000 if device.type == "cpu" else 5000


@lru_cache(maxsize=1)
def triton_installed() -> bool:
    """Whether the optional Triton package (detseg's CUDA kernels) can be imported."""
    return importlib.util.find_spec("triton") is not None


def _use_triton(device: torch.device, backend: str) -> bool:
    """Whether ``backend`` picks Triton for ``device``.

    ``auto``: Triton on CUDA tensors when it is installed, torchvision otherwise.

    Raises:
        ValueError: If ``backend`` is not one of ``NMS_BACKENDS``.
    """
    if backend not in NMS_BACKENDS:
        raise ValueError(f"NMS backend '{backend}' is not one of {NMS_BACKENDS}")
    if backend == "auto":
        return device.type == "cuda" and triton_installed()
    return backend == "triton"


def grouped_nms(
    boxes: Tensor,
    scores: Tensor,
    iou_threshold: float,
    valid: Tensor | None = None,
    backend: str = "auto",
    rows_per_call: int = 1,
    max_kept_per_call: int | None = None,
    first_group_id: int = 0,
) -> Tensor:
    """NMS inside each row of a padded batch: the boxes of one row never suppress another's.

    A row is one group: an image, an (image, level) or an (image, class) pair. Within a row
    the result is ``torchvision.ops.nms`` on the row's valid boxes (greedy, by decreasing score,
    ties in index order).

    Args:
        boxes: ``Float[G, N, 4]`` xyxy boxes.
        scores: ``Float[G, N]`` scores.
        iou_threshold: a box is dropped when its IoU with a kept, higher-scoring box of its
            row is ``> iou_threshold``.
        valid: Bool ``[G, N]``, the boxes that take part (default: all). Invalid boxes (the
            padding of short rows, boxes below a score threshold) are never kept and suppress
            nothing.
        backend: ``"auto"`` (Triton on CUDA, torchvision elsewhere), ``"triton"`` or
            ``"torchvision"``.
        rows_per_call: torchvision path only: one ``torchvision.ops.batched_nms`` call for
            each block of this many consecutive rows (the rows of one image), with the rows as
            its groups, as a detector calls it once per image. The kept boxes are the same in
            exact arithmetic; in float32, ``batched_nms`` may offset the boxes of each group
            (its "coordinate trick"), which rounds IoUs differently, so a detector passes its
            rows per image to stay bit-exact with its torchvision twin on the CPU.
        max_kept_per_call: torchvision path only: the caller keeps at most this many of each
            call's kept boxes, the highest-scoring (a detector's detections per image). The
            NMS may then stop early (see :func:`_nms_of_score_prefix`): the returned mask
            holds those top kept boxes, exactly, and possibly not the lower-scoring ones.
            ``None``: every kept box.
        first_group_id: torchvision path only: the group id of a block's first row in its
            ``batched_nms`` call (the next rows count on from it). The id sets the offset of
            the coordinate trick, so a detector passes the ids its twin passes: the class
            labels ``1..K`` of a model with a background class (Faster R-CNN, SSD) start at 1.

    Returns:
        Bool ``[G, N]``: the kept boxes. The Triton path makes no host synchronisation.

    Raises:
        ValueError: If ``boxes`` is not ``[G, N, 4]`` or ``scores`` not ``[G, N]``, if
            ``backend`` is unknown, or (torchvision path) if ``rows_per_call`` does not
            divide ``G``.
    """
    _check_boxes(boxes)
    if boxes.dim() != 3 or scores.shape != boxes.shape[:2]:
        raise ValueError(
            f"boxes and scores must be [G, N, 4] and [G, N], got {tuple(boxes.shape)} and "
            f"{tuple(scores.shape)}"
        )
    if valid is None:
        valid = torch.ones(scores.shape, dtype=torch.bool, device=scores.device)
    if _use_triton(boxes.device, backend):
        from detseg.ops.nms_triton import grouped_nms_keep_sorted

        # stable: equal scores keep their index order, as in torchvision's sort
        ranked = scores.float().masked_fill(~valid, float("-inf"))
        order = ranked.sort(dim=1, descending=True, stable=True).indices
        sorted_boxes = boxes.gather(1, order[..., None].expand(-1, -1, 4))
        keep_sorted = grouped_nms_keep_sorted(sorted_boxes, valid.gather(1, order), iou_threshold)
        return torch.zeros_like(valid).scatter_(1, order, keep_sorted)
    return _grouped_nms_torchvision(
        boxes, scores, iou_threshold, valid, rows_per_call, max_kept_per_call, first_group_id
    )


def _check_detections(boxes: Tensor, scores: Tensor, labels: Tensor) -> None:
    """Raise ``ValueError`` unless the shapes are ``[N, 4]``, ``[N]`` and ``[N]``."""
    _check_boxes(boxes)
    n = boxes.shape[0]
    if boxes.dim() != 2 or scores.shape != (n,) or labels.shape != (n,):
        raise ValueError(
            "boxes, scores and labels must be [N, 4], [N] and [N] with the same N, got "
            f"{tuple(boxes.shape)}, {tuple(scores.shape)} and {tuple(labels.shape)}"
        )


def _grouped_nms_torchvision(
    boxes: Tensor,
    scores: Tensor,
    iou_threshold: float,
    valid: Tensor,
    rows_per_call: int,
    max_kept_per_call: int | None = None,
    first_group_id: int = 0,
) -> Tensor:
    """The reference path of :func:`grouped_nms`: ``torchvision.ops.batched_nms`` on the valid
    boxes of each block of ``rows_per_call`` rows, the rows as its groups ``first_group_id,
    first_group_id + 1, ...`` (a detector's per-image call, with the same candidates and group
    ids in the same order). With ``max_kept_per_call`` a block may be answered by
    :func:`_nms_of_score_prefix` instead."""
    groups, width = valid.shape
    if groups % rows_per_call:
        raise ValueError(f"rows_per_call={rows_per_call} does not divide the {groups} rows")
    keep = torch.zeros((groups, width), dtype=torch.bool, device=valid.device)
    if width == 0:  # no candidate in any row (view(-1, 0) below would be ambiguous)
        return keep
    flat_keep = keep.view(-1, rows_per_call * width)
    row_ids = torch.arange(first_group_id, first_group_id + rows_per_call, device=boxes.device)
    row_ids = row_ids.repeat_interleave(width)
    blocks = zip(
        boxes.reshape(-1, rows_per_call * width, 4),
        scores.reshape(-1, rows_per_call * width),
        valid.reshape(-1, rows_per_call * width),
        valid.reshape(-1, rows_per_call * width).sum(dim=1).tolist(),
        strict=True,
    )
    for block, (block_boxes, block_scores, block_valid, count) in enumerate(blocks):
        if count == 0:  # most (image, class) rows of a detector's output are empty
            continue
        candidates = torch.where(block_valid)[0]
        call = (block_boxes[candidates], block_scores[candidates], row_ids[candidates])
        kept = None
        if max_kept_per_call is not None and count > _one_call_limit(boxes.device):
            kept = _nms_of_score_prefix(*call, iou_threshold, max_kept_per_call)
        if kept is None:
            kept = torchvision.ops.batched_nms(*call, iou_threshold)
        flat_keep[block, candidates[kept]] = True
    return keep


def _nms_of_score_prefix(
    boxes: Tensor, scores: Tensor, groups: Tensor, iou_threshold: float, max_kept: int
) -> Tensor | None:
    """The ``max_kept`` highest-scoring boxes that ``torchvision.ops.batched_nms`` keeps (above
    :func:`_one_call_limit` boxes), found from the highest-scoring boxes only.

    Greedy NMS decides each box from the boxes that score higher than it, never from lower
    ones. So NMS on the ``n`` highest-scoring boxes keeps exactly the boxes the full NMS keeps
    among them, and once it keeps ``max_kept`` of them, the rest of the list cannot change the
    top ``max_kept``. A detector with 91 classes and 1,000 RoIs per image (91,000 candidates
    at a low score threshold) keeps its 100 detections from a few hundred of them.

    The prefix grows from ``4 * max_kept`` boxes, four times each round. Equal scores would
    make the order depend on the sort (torchvision's is not stable), so when the prefix and
    the box after it hold two equal scores, this returns ``None`` and the caller runs the full
    NMS. Each group is suppressed with ``torchvision.ops.nms`` as in torchvision's per-group
    loop (no box offsets), so the IoUs are computed alike.

    Args:
        boxes: ``Float[N, 4]`` xyxy; scores: ``Float[N]``; groups: ``Int64[N]`` group ids.
        iou_threshold: as for ``torchvision.ops.batched_nms``.
        max_kept: how many kept boxes the caller uses.

    Returns:
        Int64 ``[K]`` kept indices, ``K >= max_kept``, all of the full NMS's top ``max_kept``
        among them; ``None`` when the full NMS is needed.
    """
    sorted_scores, order = scores.sort(descending=True, stable=True)
    size = 4 * max(max_kept, 1)
    while size < scores.shape[0]:
        head = sorted_scores[: size + 1]
        if bool((head[1:] == head[:-1]).any()):
            return None
        prefix = order[:size]
        kept = _per_group_nms(boxes[prefix], scores[prefix], groups[prefix], iou_threshold)
        if kept.shape[0] >= max_kept:
            return prefix[kept]
        size *= 4
    return None


def _per_group_nms(boxes: Tensor, scores: Tensor, groups: Tensor, iou_threshold: float) -> Tensor:
    """``torchvision.ops.nms`` inside each group; kept indices in increasing order."""
    keep = torch.zeros(scores.shape[0], dtype=torch.bool, device=scores.device)
    for group in torch.unique(groups):
        members = torch.where(groups == group)[0]
        keep[members[torchvision.ops.nms(boxes[members], scores[members], iou_threshold)]] = True
    return torch.where(keep)[0]


def batched_nms(
    boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float, backend: str = "auto"
) -> Tensor:
    """Class-wise NMS: a box only suppresses boxes of its own label.

    Args:
        boxes: ``Float[N, 4]`` xyxy boxes.
        scores: ``Float[N]`` scores.
        labels: Int64 ``[N]`` class of each box.
        iou_threshold: A box is dropped when its IoU with a kept, higher-scoring box of the
            same label is ``> iou_threshold``.
        backend: as for :func:`grouped_nms`; ``torchvision`` calls
            ``torchvision.ops.batched_nms``.

    Returns:
        Int64 ``[K]`` indices of the kept boxes, by decreasing score (equal scores in index
        order on the Triton path; as torchvision orders them otherwise, see
        :func:`order_like_batched_nms`).

    Raises:
        ValueError: If the shapes are not ``[N, 4]``, ``[N]``, ``[N]`` or ``backend`` is
            unknown.
    """
    _check_detections(boxes, scores, labels)
    if not _use_triton(boxes.device, backend) or boxes.shape[0] == 0:
        return torchvision.ops.batched_nms(boxes, scores, labels, iou_threshold)
    index = _group_rows(labels)  # [G, N] indices into the inputs, -1 for padding
    valid = index >= 0
    rows = index.clamp(min=0)
    keep = grouped_nms(boxes[rows], scores[rows], iou_threshold, valid, backend)
    kept = index[keep].sort().values
    return kept[scores[kept].sort(descending=True, stable=True).indices]


def order_like_batched_nms(kept_scores: Tensor, num_candidates: int) -> Tensor:
    """Order kept boxes by decreasing score, equal scores as ``torchvision.ops.batched_nms``.

    torchvision's ``batched_nms`` takes one of two paths, and they order equal scores
    differently: up to 1,000 candidate boxes on the CPU (5,000 on CUDA) it runs one ``nms`` on
    offset boxes, which sorts them stably (equal scores in index order); above that it loops
    over the groups and sorts the kept boxes with torch's default, unstable sort. Detectors
    that filter a batch at once with :func:`grouped_nms` use this to list each image's kept
    boxes exactly as their torchvision twins do (random weights give many equal scores).

    Args:
        kept_scores: ``Float[K]`` scores of the kept boxes, in increasing index order.
        num_candidates: how many boxes went into the NMS.

    Returns:
        Int64 ``[K]``: positions into ``kept_scores``, by decreasing score.
    """
    stable = num_candidates <= _one_call_limit(kept_scores.device)
    return kept_scores.sort(descending=True, stable=stable).indices


def kept_per_image(keep: Tensor, scores: Tensor, valid: Tensor, limit: int) -> list[Tensor]:
    """Each image's kept candidates, by decreasing score, listed as ``batched_nms`` lists them.

    The step after :func:`grouped_nms` in a detector: the keep mask is laid out per image
    again, and each image gets the indices a per-image ``torchvision.ops.batched_nms`` call
    would have returned (equal scores in its order, see :func:`order_like_batched_nms`).

    Args:
        keep: Bool ``[B, C]``: the kept candidates of each image, in the detector's candidate
            order (the order torchvision's twin builds them in).
        scores: ``Float[B, C]`` their scores.
        valid: Bool ``[B, C]``: the candidates that went into the NMS.
        limit: most indices per image (the top-n or detections-per-image cut).

    Returns:
        One Int64 ``[K_b]`` tensor of candidate indices per image, ``K_b <= limit``. Reading
        how many each image keeps is the one host synchronisation.
    """
    kept_counts, candidates = torch.stack((keep.sum(dim=1), valid.sum(dim=1))).tolist()
    kept_first = torch.argsort(~keep, dim=1, stable=True)  # kept columns first, in order
    result = []
    for image_scores, columns, count, num_candidates in zip(
        scores, kept_first, kept_counts, candidates, strict=True
    ):
        kept = columns[:count]
        result.append(kept[order_like_batched_nms(image_scores[kept], num_candidates)][:limit])
    return result


def top_kept(keep: Tensor, scores: Tensor, limit: int) -> tuple[Tensor, Tensor]:
    """Each image's kept candidates by decreasing score, padded: :func:`kept_per_image` without
    reading how many each image keeps.

    Equal scores stay in candidate order (a stable sort), where torchvision's ``batched_nms``
    may order them otherwise above its one-call limit; the set of the top ``limit`` is the
    same unless a tie straddles the cut.

    Args:
        keep: Bool ``[B, C]``: the kept candidates of each image.
        scores: ``Float[B, C]`` their scores.
        limit: most candidates per image.

    Returns:
        ``(index, valid)``: Int64 ``[B, L]`` candidate indices, ``L = min(limit, C)``, the kept
        ones first by decreasing score, and Bool ``[B, L]``, true for the kept ones (the
        padding after them points at dropped candidates). No host synchronisation.
    """
    ranked = scores.masked_fill(~keep, float("-inf"))
    index = ranked.sort(dim=1, descending=True, stable=True).indices[:, :limit]
    return index, keep.gather(1, index)


def _group_rows(labels: Tensor) -> Tensor:
    """Lay the indices of a flat list out as one padded row per label.

    Args:
        labels: Int64 ``[N]`` group of each item.

    Returns:
        Int64 ``[G, M]``: row ``g`` lists, in increasing order, the indices of the items of the
        ``g``-th smallest label; ``-1`` pads the shorter rows (``M`` is the largest group).
    """
    _, group, counts = torch.unique(labels, return_inverse=True, return_counts=True)
    order = torch.argsort(group, stable=True)
    starts = counts.cumsum(0) - counts
    slot = torch.arange(labels.shape[0], device=labels.device) - starts[group[order]]
    index = torch.full(
        (counts.shape[0], int(counts.max())), -1, dtype=torch.int64, device=labels.device
    )
    index[group[order], slot] = order
    return index


def filter_detections(
    boxes: Tensor,
    scores: Tensor,
    labels: Tensor,
    score_threshold: float,
    iou_threshold: float,
    max_detections: int,
) -> Tensor:
    """The last step of a detector: score threshold, class-wise NMS, then the top ``k``.

    Args:
        boxes: ``Float[N, 4]`` xyxy boxes.
        scores: ``Float[N]`` scores.
        labels: Int64 ``[N]`` class of each box.
        score_threshold: Boxes with ``score <= score_threshold`` are dropped.
        iou_threshold: Class-wise NMS threshold (see :func:`batched_nms`).
        max_detections: Most boxes kept (the highest-scoring ones), ``>= 0``.

    Returns:
        Int64 ``[K]`` indices into the inputs, ``K <= max_detections``, by decreasing score.

    Raises:
        ValueError: If the shapes are not ``[N, 4]``, ``[N]``, ``[N]`` or
            ``max_detections < 0``.
    """
    _check_detections(boxes, scores, labels)
    if max_detections < 0:
        raise ValueError(f"max_detections must be >= 0, got {max_detections}")
    candidates = torch.where(scores > score_threshold)[0]
    keep = torchvision.ops.batched_nms(
        boxes[candidates], scores[candidates], labels[candidates], iou_threshold
    )
    return candidates[keep[:max_detections]]
