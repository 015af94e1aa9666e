"""Per-category COCO numbers read from a ``COCOeval``'s accumulated arrays, and category names.

``COCOeval.stats`` holds the twelve numbers over all categories only. :func:`per_class_metrics`
averages the accumulated ``precision`` / ``recall`` arrays per category exactly as pycocotools'
summarize averages them over all (:func:`mean_valid`); :func:`category_names` names each
category uniquely for the tables and plots, by the name :func:`stripped_name` reads (the rule
that :mod:`detseg.evaluation.gt_file_checks` warns by too). Separate from
:mod:`detseg.evaluation.coco` because the confusion matrix, the VOC evaluation and the PR
curves read these names too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def per_class_metrics(
    eval_arrays: dict, cat_ids: Sequence[int], gt: dict
) -> dict[str, dict[str, float]]:
    """Per-category AP, AP50 and AR from a COCOeval's accumulated arrays.

    Args:
        eval_arrays: ``COCOeval.eval`` after ``accumulate()``, holding
            ``precision`` ``[T, R, K, A, M]``, ``recall`` ``[T, K, A, M]`` and
            ``params`` (iouThrs, maxDets).
        cat_ids: the evaluated category ids, in the order of the K axis.
        gt: the COCO ground-truth dict (for category names).

    Returns:
        ``{name: {"AP", "AP50", "AR<maxDets[-1]>"}}`` at area "all" and the
        largest ``maxDets``; each the mean of the entries > -1, or -1.0 if none.
        Names shared by several categories get `` (id <n>)`` appended.
    """
    precision, recall = eval_arrays["precision"], eval_arrays["recall"]
    params = eval_arrays["params"]
    iou50 = np.where(np.asarray(params.iouThrs) == 0.5)[0]
    mind = len(params.maxDets) - 1
    ar_key = f"AR{params.maxDets[-1]}"
    names = category_names(gt, cat_ids)
    out: dict[str, dict[str, float]] = {}
    for k, cat_id in enumerate(cat_ids):
        out[names[cat_id]] = {
            "AP": mean_valid(precision[:, :, k, 0, mind]),
            "AP50": mean_valid(precision[iou50, :, k, 0, mind]),
            ar_key: mean_valid(recall[:, k, 0, mind]),
        }
    return out


def mean_valid(values: np.ndarray) -> float:
    """Mean of the entries ``> -1`` (pycocotools' summarize), ``-1.0`` when there is none."""
    valid = values[values > -1]
    return float(np.mean(valid)) if valid.size else -1.0


def category_names(gt: dict, cat_ids: Sequence[int]) -> dict[int, str]:
    """``{category id: name}`` for ``cat_ids`` from ``gt["categories"]``.

    Names are stripped of surrounding spaces, as the dataset readers strip them (``" cat "`` is
    ``cat``, as a checkpoint trained on the file names it). A category without ``name``
    (absent, ``null``, empty or blank) is named by its id; a name shared by several of
    ``cat_ids`` gets `` (id <n>)`` appended so that every name is unique.

    Raises:
        KeyError: an id of ``cat_ids`` that ``gt["categories"]`` does not list.
    """
    by_id = {
        category["id"]: stripped_name(category) or str(category["id"])
        for category in gt["categories"]
    }
    counts: dict[str, int] = {}
    for cat_id in cat_ids:
        counts[by_id[cat_id]] = counts.get(by_id[cat_id], 0) + 1
    return {
        cat_id: by_id[cat_id] if counts[by_id[cat_id]] == 1 else f"{by_id[cat_id]} (id {cat_id})"
        for cat_id in cat_ids
    }


def stripped_name(category: Mapping[str, Any]) -> str:
    """The name of a COCO category (a dict with a ``name``) as the tables take it: stripped of
    surrounding spaces, as the dataset readers strip it (``" cat "`` is ``cat``), a name that
    is no string as its text (``3`` is ``"3"``); ``""`` for none (absent, ``null``, empty or
    blank), which the tables name by the category's id."""
    name = category.get("name")
    return "" if name is None else str(name).strip()
