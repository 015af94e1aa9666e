"""Detection confusion matrix: which class each ground-truth object became.

Detections at or above a score threshold are matched greedily (highest score
first) to unmatched ground-truth boxes at IoU >= a threshold: a gt of the
detection's own class if one overlaps enough, else one of any class (the highest
IoU among the candidates), so that a box with the wrong class shows up as a
confusion rather than as a miss plus a false positive. The matrix has K + 1 rows
(ground-truth class, then "background")
and K + 1 columns (predicted class, then "background"):

* ``[i, j]`` (``i, j < K``): a gt of class i matched by a detection of class j
  (the diagonal holds the true positives);
* ``[K, j]``: a detection of class j that matched no gt (false positive);
* ``[i, K]``: a gt of class i that no detection matched (missed);
* ``[K, K]`` is always 0.

IoUs come from ``pycocotools.mask.iou`` on COCO ``xywh`` boxes, with COCO's
rule for crowd regions (intersection over the detection's area). Crowd gts are
never counted as missed, and a detection that matches only a crowd region is
ignored (neither true nor false), as COCOeval does. The plot draws class names as written
(:func:`~detseg.evaluation.confusion_plot.plain_text`: no mathtext), ``$`` included.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from pycocotools import mask as mask_utils

from detseg.argument_checks import check_unit_number
from detseg.evaluation.checked_detections import checked_fields
from detseg.evaluation.coco_checks import check_detection, check_required_fields
from detseg.evaluation.coco_ground_truth import load_coco_gt
from detseg.evaluation.coco_per_class import category_names
from detseg.evaluation.confusion_plot import (
    plain_text,
    short_label,
    tight_layout_once,
    wrap_title,
)

logger = logging.getLogger(__name__)

BACKGROUND = "background"


@dataclass
class DetectionConfusion:
    """A detection confusion matrix and the per-image outcomes it sums.

    Attributes:
        matrix: ``Int64[K + 1, K + 1]``, rows gt class, columns predicted class,
            index K is "background" (see the module docstring).
        class_names: K category names (category id order) then ``"background"``.
        cat_ids: the K category ids, in the order of the rows / columns.
        outcomes_per_image: ``{image_id: Int64[N, 2]}``, one ``(row, column)``
            pair per matched pair, false positive or missed gt of that image.
        iou_threshold: the matching IoU.
        score_threshold: detections scoring below it were left out.
    """

    matrix: np.ndarray
    class_names: list[str]
    cat_ids: list[int]
    outcomes_per_image: dict[int, np.ndarray]
    iou_threshold: float
    score_threshold: float

    def counts_per_image(self) -> dict[int, tuple[int, int, int]]:
        """``{image_id: (tp, fp, fn)}``; a wrong-class match counts as one fp and one fn."""
        background = len(self.cat_ids)
        counts = {}
        for image_id, pairs in self.outcomes_per_image.items():
            rows, cols = pairs[:, 0], pairs[:, 1]
            tp = int(np.sum((rows == cols) & (rows != background)))
            fp = int(np.sum(cols != background)) - tp
            fn = int(np.sum(rows != background)) - tp
            counts[image_id] = (tp, fp, fn)
        return counts

    def f1_per_image(self) -> dict[int, float]:
        """``{image_id: F1}`` at the matrix's IoU / score thresholds; 1.0 when nothing to find."""
        scores = {}
        for image_id, (tp, fp, fn) in self.counts_per_image().items():
            scores[image_id] = 1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn)
        return scores


def detection_confusion(
    gt: str | os.PathLike | dict,
    detections: Sequence[dict],
    iou_threshold: float = 0.5,
    score_threshold: float = 0.3,
) -> DetectionConfusion:
    """Builds the detection confusion matrix of a COCO ground truth and results.

    Args:
        gt: COCO ground truth (json path or dict; see ``coco_evaluate``).
        detections: COCO results, each with ``image_id``, ``category_id``,
            ``score`` and ``bbox`` (xywh absolute pixels). Detections of a
            category absent from the gt are ignored (as COCOeval does).
        iou_threshold: minimum IoU for a detection to match a gt; one at exactly this IoU
            matches (COCOeval's rule; Ultralytics' confusion matrix needs IoU > it).
        score_threshold: detections with a lower score are left out (one at exactly this
            score is kept; Ultralytics keeps only scores > its ``conf``).

    Returns:
        The :class:`DetectionConfusion`; every gt image has an entry in
        ``outcomes_per_image`` (possibly empty).

    Raises:
        ValueError: on thresholds that are no number in [0, 1], a malformed ground truth, or a
            detection that is malformed, names an unknown image or lacks
            ``image_id`` / ``bbox`` / ``score`` / ``category_id``.
        FileNotFoundError: ``gt`` is a path that is not a file.
    """
    iou_threshold = check_unit_number(iou_threshold, "iou_threshold")
    score_threshold = check_unit_number(score_threshold, "score_threshold")
    gt_dict = load_coco_gt(gt)
    cat_ids = sorted(int(c["id"]) for c in gt_dict["categories"])
    names = category_names(gt_dict, cat_ids)
    index_of = {cat_id: k for k, cat_id in enumerate(cat_ids)}
    gts, dets = _group_by_image(gt_dict, detections, index_of, score_threshold)
    background = len(cat_ids)
    matrix = np.zeros((background + 1, background + 1), dtype=np.int64)
    outcomes = {}
    for image_id in gts:
        pairs = _outcomes_per_image(gts[image_id], dets[image_id], iou_threshold, background)
        np.add.at(matrix, (pairs[:, 0], pairs[:, 1]), 1)
        outcomes[image_id] = pairs
    return DetectionConfusion(
        matrix=matrix,
        class_names=[names[c] for c in cat_ids] + [BACKGROUND],
        cat_ids=cat_ids,
        outcomes_per_image=outcomes,
        iou_threshold=iou_threshold,
        score_threshold=score_threshold,
    )


def detection_confusion_matrix(
    gt: str | os.PathLike | dict,
    detections: Sequence[dict],
    iou_threshold: float = 0.5,
    score_threshold: float = 0.3,
) -> np.ndarray:
    """``Int64[K + 1, K + 1]`` matrix of :func:`detection_confusion` (same arguments)."""
    return detection_confusion(gt, detections, iou_threshold, score_threshold).matrix


def _group_by_image(
    gt: dict, detections: Sequence[dict], index_of: dict[int, int], score_threshold: float
) -> tuple[dict[int, list], dict[int, list]]:
    """Per image lists of ``(xywh, class index, iscrowd)`` gts and ``(xywh, class, score)`` dets.

    Only categories of ``index_of`` are kept (unknown detection categories: one warning), and
    detections scoring ``>= score_threshold``; every gt image has a (possibly empty) list.

    Raises:
        ValueError: a malformed detection, or one naming an image absent from ``gt``.
    """
    gts: dict[int, list] = {int(img["id"]): [] for img in gt["images"]}
    dets: dict[int, list] = {image_id: [] for image_id in gts}
    for ann in gt["annotations"]:
        if ann["image_id"] in gts and ann["category_id"] in index_of:
            item = (ann["bbox"], index_of[ann["category_id"]], bool(ann.get("iscrowd", 0)))
            gts[ann["image_id"]].append(item)
    unknown = 0
    required = ("image_id", "category_id", "score", "bbox")
    checked = checked_fields(detections, required)  # CheckedDetections: checked once before
    for i, det in enumerate(detections):
        if not checked:
            check_detection(det, i)
            check_required_fields(det, i, required)
        if det["image_id"] not in gts:
            raise ValueError(
                f"detection {i} has image_id {det['image_id']!r}, which is not an image of "
                "the ground truth; keep only images listed in gt['images']"
            )
        if det["category_id"] not in index_of:
            unknown += 1
        elif det["score"] >= score_threshold:
            dets[det["image_id"]].append((det["bbox"], index_of[det["category_id"]], det["score"]))
    if unknown:
        logger.warning("%d detections have a category absent from the gt: ignored", unknown)
    return gts, dets


def _outcomes_per_image(gts: list, dets: list, iou_threshold: float, background: int) -> np.ndarray:
    """Greedy matching in one image; returns ``Int64[N, 2]`` (row, column) pairs.

    ``gts`` are ``(xywh, class index, iscrowd)`` and ``dets`` ``(xywh, class index, score)``;
    ``background`` (= K) is the row of false positives and the column of missed gts. A
    detection that only overlaps a crowd region adds no pair.
    """
    gt_boxes = np.asarray([g[0] for g in gts], dtype=np.float64).reshape(-1, 4)
    gt_classes = [int(g[1]) for g in gts]
    crowd = [bool(g[2]) for g in gts]
    dets = sorted(dets, key=lambda d: -d[2])  # stable: ties keep their input order
    det_boxes = np.asarray([d[0] for d in dets], dtype=np.float64).reshape(-1, 4)
    iou = np.zeros((len(dets), len(gts)))
    if len(dets) and len(gts):
        is_crowd = [int(c) for c in crowd]
        # float64 [N, 4] boxes, which the pycocotools stubs do not list (uint32 arrays only)
        iou = np.asarray(mask_utils.iou(det_boxes, gt_boxes, is_crowd))  # type: ignore[arg-type]
    # the (detection, gt) pairs at IoU >= the threshold, detection by detection (gt order
    # within one): a detection overlaps a few gts at most, so the greedy matching below walks
    # these short lists in plain Python instead of a numpy pass over all gts per detection
    det_index, gt_index = np.nonzero(iou >= iou_threshold)
    starts = np.searchsorted(det_index, np.arange(len(dets) + 1)).tolist()
    hit_gts, hit_ious = gt_index.tolist(), iou[det_index, gt_index].tolist()
    matched = [False] * len(gts)
    pairs = []
    for d, (_, det_class, _) in enumerate(dets):
        # the free gt of highest IoU, of the detection's class if one overlaps enough, else of
        # any class; the first of equal IoUs (gt order), as np.argmax picks
        best, best_iou, same, same_iou, on_crowd = -1, -1.0, -1, -1.0, False
        for k in range(starts[d], starts[d + 1]):
            g = hit_gts[k]
            if crowd[g]:
                on_crowd = True
            elif not matched[g]:
                if hit_ious[k] > best_iou:
                    best, best_iou = g, hit_ious[k]
                if gt_classes[g] == det_class and hit_ious[k] > same_iou:
                    same, same_iou = g, hit_ious[k]
        chosen = same if same >= 0 else best
        if chosen >= 0:
            matched[chosen] = True
            pairs.append((gt_classes[chosen], det_class))
        elif not on_crowd:
            pairs.append((background, det_class))
    pairs.extend(
        (gt_classes[g], background) for g in range(len(gts)) if not (matched[g] or crowd[g])
    )
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


#: Most classes :func:`detection_confusion_figure` gives a row and a column of their own; past
#: it the classes with the most errors are drawn and the others summed (a 1,000-class matrix
#: took about half a minute to draw, in cells of 2 px under unreadable labels).
MAX_PLOTTED_CLASSES = 28


@dataclass
class PlottedConfusion:
    """The part of a detection confusion matrix that a figure draws.

    Attributes:
        matrix: ``Int64[N + 1, N + 1]`` (or ``[N + 2, N + 2]`` with an "other classes" row and
            column), rows gt class, columns predicted class, background last.
        class_names: the N + 1 (or N + 2) labels, background last.
        note: what was left out (empty when every class is drawn).
    """

    matrix: np.ndarray
    class_names: list[str]
    note: str = ""


def most_confused_classes(
    matrix: np.ndarray, class_names: Sequence[str], limit: int = MAX_PLOTTED_CLASSES
) -> PlottedConfusion:
    """The matrix reduced to the ``limit`` classes with the most errors, the rest summed.

    Classes are ranked by their wrong-class matches (off-diagonal cells of their row and column
    between classes), then by all their errors (those plus false positives and missed gts),
    then by index; the kept ones stay in category id order. The other classes become one
    "other" row and column holding their sums (their own diagonal and the confusions among
    them included), so every row and column total is that of the full matrix.

    Args:
        matrix: ``Int64[K + 1, K + 1]`` counts, background last (:class:`DetectionConfusion`).
        class_names: the K + 1 labels, background last.
        limit: most classes kept; with ``K <= limit`` the matrix comes back whole.

    Raises:
        ValueError: ``matrix`` is not ``[len(class_names), len(class_names)]`` or ``limit < 1``.
    """
    matrix = np.asarray(matrix)
    n = len(class_names)
    if matrix.shape != (n, n):
        raise ValueError(f"matrix has shape {matrix.shape}, expected ({n}, {n}) for the names")
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    num_classes = n - 1
    if num_classes <= limit:
        return PlottedConfusion(matrix, list(class_names))
    between = matrix[:num_classes, :num_classes]
    diagonal = np.diagonal(between)
    confusions = between.sum(axis=0) + between.sum(axis=1) - 2 * diagonal
    errors = confusions + matrix[num_classes, :num_classes] + matrix[:num_classes, num_classes]
    ranked = np.lexsort((np.arange(num_classes), -errors, -confusions))
    kept = np.sort(ranked[:limit])
    other = num_classes - limit
    group = np.full(n, limit, dtype=np.int64)  # the "other" row / column
    group[kept] = np.arange(limit)
    group[num_classes] = limit + 1  # background stays last
    rows = np.zeros((limit + 2, n), dtype=np.int64)
    np.add.at(rows, group, matrix)
    reduced = np.zeros((limit + 2, limit + 2), dtype=np.int64)
    np.add.at(reduced.T, group, rows.T)
    names = [class_names[k] for k in kept] + [f"other {other} classes", class_names[-1]]
    note = (
        f"The {limit} of {num_classes} classes with the most wrong-class matches (then errors); "
        f"'other {other} classes' sums the rest, its diagonal cell holding their true positives "
        "and confusions among them (a report's metrics.json holds the whole matrix)"
    )
    return PlottedConfusion(reduced, names, note)


@plain_text()
def plot_confusion_matrix(
    matrix: np.ndarray,
    class_names: Sequence[str],
    path: str | os.PathLike,
    title: str = "",
    max_classes: int = MAX_PLOTTED_CLASSES,
) -> Path:
    """Writes :func:`detection_confusion_figure` as a PNG.

    Args:
        matrix: ``[K + 1, K + 1]`` counts (rows gt, columns predicted).
        class_names: K + 1 labels, background last.
        path: the PNG to write (folders are created).
        title: figure title; a default naming the axes is used when empty.
        max_classes: past this many classes only those with the most errors are drawn, the
            others summed (:func:`most_confused_classes`).

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: ``matrix`` is not ``[len(class_names), len(class_names)]``.
    """
    fig = detection_confusion_figure(matrix, class_names, title, max_classes)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


@plain_text()
def detection_confusion_figure(
    matrix: np.ndarray,
    class_names: Sequence[str],
    title: str = "",
    max_classes: int = MAX_PLOTTED_CLASSES,
) -> Figure:
    """The matrix as a heatmap (colour = share of the row, text = count).

    The background row holds the false positives (detections matching no ground truth) and
    the background column the missed objects; their crossing counts nothing and stays blank.
    With more than ``max_classes`` classes only the ``max_classes`` with the most errors have a
    row and a column, the others summed in one "other" row and column, as a note under the
    plot says (:func:`most_confused_classes`).

    Raises:
        ValueError: ``matrix`` is not ``[len(class_names), len(class_names)]``.
    """
    plotted = most_confused_classes(matrix, class_names, max_classes)
    matrix, class_names = plotted.matrix, plotted.class_names
    n = len(class_names)
    row_sums = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, row_sums, out=np.zeros(matrix.shape), where=row_sums > 0)
    side = min(24.0, 4.0 + 0.55 * n)
    fig = Figure(figsize=(side, side * 0.9), dpi=100)
    ax = fig.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the row")
    labels = [short_label(name) for name in class_names]
    ax.set_xticks(range(n), labels=labels, rotation=45, ha="right")
    ax.set_yticks(range(n), labels=labels)
    ax.set_xlabel("predicted\n(background: missed objects)")
    ax.set_ylabel("ground truth\n(background: false positives)")
    title = title or "Detection confusion matrix: counts, colour = share of the row"
    # on the figure, not the axes: long class names narrow the axes, a title over them is cut
    fig.suptitle(wrap_title(title, max(30, int(side * 11))), fontsize=10)
    if n <= 30:
        for (i, j), count in np.ndenumerate(matrix):
            if i == j == n - 1:
                continue  # background seen as background: not counted
            color = "white" if shares[i, j] > 0.5 else "black"
            ax.text(j, i, str(int(count)), ha="center", va="center", color=color, fontsize=8)
    bottom = 0.0
    if plotted.note:
        text = wrap_title(plotted.note, int(side * 14))
        fig.text(0.01, 0.01, text, fontsize=9, color="dimgray", ha="left", va="bottom")
        bottom = (0.25 + 0.16 * text.count("\n")) / fig.get_figheight()
    tight_layout_once(fig, rect=(0.0, bottom, 1.0, 1.0))
    return fig
