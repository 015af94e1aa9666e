"""YOLO priors from a dataset: k-means on box sizes with the distance ``d = 1 - IoU(wh)``.

The IoU of two sizes is the IoU of the two boxes placed on the same centre
(:func:`detseg.ops.yolo_priors.wh_iou`), so big boxes do not dominate the clustering as they
would with a Euclidean distance (YOLOv2, Redmon & Farhadi 2017). Box sizes are first scaled
to the network input (``input_size x input_size``, aspect ratio not kept, as the YOLO
transform resizes), so the priors come out in the input pixels the ``anchors`` config expects.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from detseg.argument_checks import priors_per_level_problem
from detseg.data.coco_fields import coco_box_xyxy
from detseg.data.coco_json import missing_annotation_message
from detseg.data.json_files import read_json
from detseg.data.target_checks import sanitize_boxes
from detseg.ops.yolo_priors import wh_iou
from detseg.progress_bars import progress_bar


@dataclass
class AnchorClustering:
    """Result of :func:`kmeans_anchors`.

    Attributes:
        anchors: ``Float[k, 2]`` prior ``(width, height)`` in input pixels, by increasing area.
        mean_best_iou: mean over the boxes of the IoU with their best prior.
        iterations: Lloyd iterations run.
    """

    anchors: Tensor
    mean_best_iou: float
    iterations: int


def coco_box_sizes(ann_file: str | os.PathLike, input_size: int) -> Tensor:
    """Box sizes of a COCO json, scaled to an ``input_size x input_size`` input.

    The boxes are those a training run reads (:class:`detseg.data.coco.CocoDetection` with
    ``drop_crowd``): crowd annotations are left out, and each image's boxes go through
    :func:`detseg.data.target_checks.sanitize_boxes` (clipped to the image; a malformed or
    non-finite box, or one under 1 px once clipped, is dropped with a warning).

    Args:
        ann_file: COCO detection json (``images`` with ``width``/``height``, ``annotations``
            with ``bbox`` ``[x, y, w, h]``).
        input_size: side of the square network input, in pixels.

    Returns:
        ``Float64[N, 2]`` ``(width, height)`` in input pixels.

    Raises:
        FileNotFoundError: the file does not exist (the message lists the ``.json`` files of
            its folder: :func:`~detseg.data.coco_json.missing_annotation_message`).
        ValueError: not a JSON file, or the json has no images / annotations entry or an
            image lacks its size or has one that is not a number > 0.
    """
    if not os.path.isfile(ann_file):
        raise FileNotFoundError(missing_annotation_message(Path(ann_file), from_config=False))
    data = read_json(ann_file)
    if not isinstance(data, dict) or "images" not in data or "annotations" not in data:
        raise ValueError(f"{ann_file} is not a COCO detection json (no 'images'/'annotations')")
    sizes = {}
    for image in data["images"]:
        if not isinstance(image, dict) or "width" not in image or "height" not in image:
            raise ValueError(f"{ann_file}: image {str(image)[:80]} has no width/height")
        width, height = _image_side(image["width"]), _image_side(image["height"])
        if width is None or height is None:
            raise ValueError(
                f"{ann_file}: image {str(image)[:80]} has width {image['width']!r} and height "
                f"{image['height']!r}; both must be numbers > 0"
            )
        sizes[image.get("id")] = (width, height)
    boxes: dict[Any, list[list[float]]] = {}  # xyxy boxes of each image, in json order
    order: list[tuple[Any, int]] = []  # (image id, row in its boxes) of each annotation
    for ann in data["annotations"]:
        if not isinstance(ann, dict) or ann.get("iscrowd", 0) or ann.get("image_id") not in sizes:
            continue
        rows = boxes.setdefault(ann["image_id"], [])
        order.append((ann["image_id"], len(rows)))
        rows.append(coco_box_xyxy(ann.get("bbox")))
    scaled = {}  # image id -> (Float64[n, 2] sizes in input pixels, Bool[n] kept)
    for image_id, rows in boxes.items():
        width, height = sizes[image_id]
        clipped, keep = sanitize_boxes(np.array(rows), (height, width), source=str(ann_file))
        wh = (clipped[:, 2:] - clipped[:, :2]).astype(np.float64)
        scaled[image_id] = (wh * [input_size / width, input_size / height], keep)
    pairs = [scaled[i][0][row] for i, row in order if scaled[i][1][row]]
    return torch.tensor(np.array(pairs), dtype=torch.float64).reshape(-1, 2)


def _image_side(value: object) -> float | None:
    """An image entry's ``width`` or ``height`` as a float, ``None`` unless a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    side = float(value)
    return side if math.isfinite(side) and side > 0 else None


def dataset_box_sizes(samples: Iterable, input_size: int) -> Tensor:
    """Box sizes from ``(image Float[3, H, W], target)`` samples (any detseg dataset).

    Unreadable samples (``None``) are skipped, and so are crowd regions (``iscrowd == 1``:
    a training run leaves them out of its targets, ``drop_crowd``). Sizes are scaled to
    ``input_size`` pixels.

    Returns:
        ``Float64[N, 2]`` ``(width, height)`` in input pixels.
    """
    sizes = []
    for sample in samples:
        if sample is None:
            continue
        image, target = sample
        height, width = image.shape[-2:]
        boxes = target["boxes"].to(torch.float64)
        wh = boxes[:, 2:] - boxes[:, :2]
        crowd = target.get("iscrowd")
        if crowd is not None:
            wh = wh[torch.as_tensor(crowd).reshape(-1) == 0]
        scale = torch.tensor([input_size / width, input_size / height], dtype=torch.float64)
        sizes.append(wh[(wh > 0).all(dim=1)] * scale)
    return torch.cat(sizes) if sizes else torch.zeros((0, 2), dtype=torch.float64)


def _init_plus_plus(wh: Tensor, k: int, generator: torch.Generator) -> Tensor:
    """k-means++ seeding with the ``1 - IoU`` distance: ``Float[k, 2]`` initial centres."""
    first = torch.randint(wh.shape[0], (1,), generator=generator)
    centres = wh[first]
    for _ in range(1, k):
        distance = (1 - wh_iou(wh, centres)).amin(dim=1)  # [N]
        weights = distance.square()
        if weights.sum() <= 0:  # fewer distinct sizes than k: take any box
            weights = torch.ones_like(weights)
        pick = torch.multinomial(weights, 1, generator=generator)
        centres = torch.cat((centres, wh[pick]))
    return centres


def kmeans_anchors(
    wh: Tensor, k: int = 9, seed: int = 0, max_iter: int = 300, progress: bool | None = None
) -> AnchorClustering:
    """Cluster box sizes into ``k`` priors with the distance ``1 - IoU(wh)``.

    k-means++ seeding, then Lloyd iterations (each box joins the prior of highest IoU; a
    prior moves to the mean size of its boxes; an empty cluster takes the box worst served)
    until the assignment stops changing or ``max_iter`` is reached.

    Args:
        wh: ``Float[N, 2]`` positive box ``(width, height)``, ``N >= k``.
        k: number of priors.
        seed: seed of the k-means++ draws.
        max_iter: most Lloyd iterations.
        progress: A tqdm bar on stderr counting the iterations, with the boxes that changed
            cluster in the last one: ``None`` shows it only when stderr is a terminal, ``True``
            always, ``False`` never.

    Returns:
        The :class:`AnchorClustering` (anchors sorted by area).

    Raises:
        ValueError: ``k < 1``, fewer boxes than ``k``, or a size that is not finite and > 0.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if wh.dim() != 2 or wh.shape[-1] != 2 or wh.shape[0] < k:
        raise ValueError(f"need at least k={k} box sizes [N, 2], got {tuple(wh.shape)}")
    if not bool(((wh > 0) & torch.isfinite(wh)).all()):
        raise ValueError("every box width and height must be finite and > 0")
    wh = wh.to(torch.float64)
    generator = torch.Generator().manual_seed(seed)
    centres = _init_plus_plus(wh, k, generator)
    assignment = torch.full((wh.shape[0],), -1, dtype=torch.int64)
    iterations = 0
    desc = f"k-means k={k}, {wh.shape[0]} boxes"
    with progress_bar(desc=desc, unit="iter", progress=progress) as bar:
        while iterations < max_iter:
            iterations += 1
            iou = wh_iou(wh, centres)  # [N, k]
            new_assignment = iou.argmax(dim=1)
            moved = int((new_assignment != assignment).sum())
            bar.set_postfix(moved=moved, refresh=False)
            bar.update()
            if moved == 0:
                break
            assignment = new_assignment
            centres = _update_centres(wh, assignment, iou, k)
    best = wh_iou(wh, centres).amax(dim=1)
    order = centres.prod(dim=1).argsort()
    return AnchorClustering(centres[order], float(best.mean()), iterations)


def _update_centres(wh: Tensor, assignment: Tensor, iou: Tensor, k: int) -> Tensor:
    """Mean size of each cluster; an empty cluster takes the box with the lowest best IoU."""
    sums = torch.zeros((k, 2), dtype=wh.dtype).index_add_(0, assignment, wh)
    counts = torch.bincount(assignment, minlength=k).to(wh.dtype)
    centres = sums / counts.clamp(min=1)[:, None]
    empty = torch.where(counts == 0)[0]
    if empty.numel() > 0:
        worst = iou.amax(dim=1).argsort()[: empty.numel()]
        centres[empty] = wh[worst]
    return centres


def anchors_yaml(anchors: Tensor, per_level: int = 3, decimals: int = 1) -> str:
    """A ``model.anchors`` YAML snippet: sorted priors grouped ``per_level`` per scale.

    Args:
        anchors: ``Float[k, 2]`` priors by increasing area (finest level first).
        per_level: priors per level; ``k`` must be a multiple of it (every level of a YOLO
            head has as many priors).
        decimals: rounding of the printed sizes.

    Returns:
        The snippet, e.g. ``"anchors:\\n  - [[10.0, 13.0], ...]  # level 0\\n..."``.

    Raises:
        ValueError: ``per_level < 1``, or ``k`` not a multiple of ``per_level``.
    """
    if per_level < 1:
        raise ValueError(f"per_level must be >= 1, got {per_level}")
    problem = priors_per_level_problem(len(anchors), per_level, ("k", "per_level"))
    if problem is not None:
        raise ValueError(problem)
    pairs = [[round(float(w), decimals), round(float(h), decimals)] for w, h in anchors]
    lines = ["anchors:"]
    for level, start in enumerate(range(0, len(pairs), per_level)):
        group = ", ".join(f"[{w}, {h}]" for w, h in pairs[start : start + per_level])
        lines.append(f"  - [{group}]  # level {level}")
    return "\n".join(lines)
