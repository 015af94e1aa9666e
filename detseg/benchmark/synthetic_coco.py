"""A random COCO ground truth and detections near it, to time and compare COCO evaluators.

Images are 320 to 640 px on a side with 0 to 15 objects each (about 2 % crowd); box sides are
log-uniform in [4, 300] px, so every COCO area range is filled. Detections per image: 70 %
jittered copies of its ground-truth boxes (same class), the rest random boxes and classes;
scores are uniform in [0, 1]. With ``iou_type="segm"`` every box also gets its rectangle as a
polygon (ground truth) or an RLE mask (detections).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

NEAR_SHARE = 0.7  # share of the detections that are jittered ground-truth boxes


def synthetic_coco(
    num_images: int, dets_per_image: int, num_classes: int, iou_type: str, seed: int
) -> tuple[dict, list[dict]]:
    """``(ground truth, detections)``: a COCO dataset dict and a list of COCO results.

    Boxes are xywh pixels; category ids ``1..num_classes``, image ids ``1..num_images``.

    Args:
        num_images: images in the ground truth.
        dets_per_image: detections per image.
        num_classes: categories.
        iou_type: ``"bbox"``, or ``"segm"`` for masks as well.
        seed: seed of the generator; the same arguments give the same data.

    Raises:
        ValueError: the detections do not fit in memory (``--dets-per-image 100000000000``).
    """
    try:
        return _synthetic_coco(num_images, dets_per_image, num_classes, iou_type, seed)
    except MemoryError as error:  # numpy's, for the detections of one image
        raise ValueError(
            f"--dets-per-image {dets_per_image} (of --images {num_images}): the detections do "
            "not fit in memory; give a smaller --dets-per-image or --images"
        ) from error


def _synthetic_coco(
    num_images: int, dets_per_image: int, num_classes: int, iou_type: str, seed: int
) -> tuple[dict, list[dict]]:
    """:func:`synthetic_coco`, without its memory check."""
    rng = np.random.default_rng(seed)
    images: list[dict] = []
    annotations: list[dict] = []
    detections: list[dict] = []
    for image_id in range(1, num_images + 1):
        width, height = int(rng.integers(320, 640)), int(rng.integers(320, 640))
        images.append({"id": image_id, "width": width, "height": height})
        boxes = _random_boxes(rng, int(rng.integers(0, 16)), width, height)
        labels = rng.integers(1, num_classes + 1, len(boxes))
        for box, label in zip(boxes, labels, strict=True):
            ann = {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": int(label),
                "bbox": box.tolist(),
                "area": float(box[2] * box[3]),
                "iscrowd": int(rng.random() < 0.02),
            }
            if iou_type == "segm":
                ann["segmentation"] = [_box_polygon(box)]
            annotations.append(ann)
        det_boxes, det_labels = _noisy_detections(rng, boxes, labels, dets_per_image, num_classes)
        det_boxes = _clip(det_boxes, width, height)
        for box, label, score in zip(
            det_boxes, det_labels, rng.random(len(det_boxes)), strict=True
        ):
            det = {
                "image_id": image_id,
                "category_id": int(label),
                "score": float(score),
                "bbox": box.tolist(),
            }
            if iou_type == "segm":
                polygons: Any = [_box_polygon(box)]  # stubs: int polygons only
                rle = mask_utils.frPyObjects(polygons, height, width)[0]
                counts = rle["counts"]
                det["segmentation"] = {
                    "size": rle["size"],
                    "counts": counts.decode() if isinstance(counts, bytes) else counts,
                }
            detections.append(det)
    categories = [{"id": c, "name": f"class_{c}"} for c in range(1, num_classes + 1)]
    gt = {"images": images, "annotations": annotations, "categories": categories}
    return gt, detections


def describe_synthetic_coco(gt: dict, detections: list[dict], iou_type: str) -> str:
    """One line: images, objects, detections and classes of a :func:`synthetic_coco` set."""
    return (
        f"synthetic COCO ({iou_type}): {len(gt['images'])} images, "
        f"{len(gt['annotations'])} objects, {len(detections)} detections, "
        f"{len(gt['categories'])} classes"
    )


def _random_boxes(rng: np.random.Generator, num: int, width: int, height: int) -> np.ndarray:
    """[num, 4] xywh boxes with sides log-uniform in [4, 300] px (all COCO area ranges)."""
    sides = np.exp(rng.uniform(np.log(4), np.log(300), (num, 2)))
    sides = np.minimum(sides, [width - 1, height - 1])
    corners = rng.uniform(0, 1, (num, 2)) * ([width, height] - sides)
    return np.concatenate([corners, sides], axis=1)


def _noisy_detections(
    rng: np.random.Generator, boxes: np.ndarray, labels: np.ndarray, count: int, num_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` detections: jittered ground-truth boxes first, random boxes for the rest."""
    picks = rng.integers(0, len(boxes), count) if len(boxes) else np.zeros(0, int)
    picks = picks[: int(count * NEAR_SHARE)]
    jitter = rng.normal(0, 0.1, (len(picks), 4)) * np.tile(boxes[picks, 2:], 2)
    near = boxes[picks] + jitter
    far = _random_boxes(rng, count - len(near), 640, 640)
    det_labels = np.concatenate([labels[picks], rng.integers(1, num_classes + 1, len(far))])
    return np.concatenate([near, far]), det_labels


def _clip(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """xywh boxes moved and cut to lie inside the image, at least 1 px on a side."""
    x1 = np.clip(boxes[:, 0], 0, width - 1)
    y1 = np.clip(boxes[:, 1], 0, height - 1)
    x2 = np.clip(boxes[:, 0] + np.maximum(boxes[:, 2], 1), x1 + 1, width)
    y2 = np.clip(boxes[:, 1] + np.maximum(boxes[:, 3], 1), y1 + 1, height)
    return np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)


def _box_polygon(box: np.ndarray) -> list[float]:
    """The four corners of an xywh box as a COCO polygon ``[x1, y1, x2, y2, ...]``."""
    x, y, w, h = (float(v) for v in box)
    return [x, y, x + w, y, x + w, y + h, x, y + h]
