"""COCO-json detection / instance-segmentation datasets.

Layout (paths are free; these are the shapes dataset's defaults)::

    <root>/train/images/<file_name>               images named by ``images[*].file_name``
    <root>/annotations/instances_train.json       {"images", "annotations", "categories"}

COCO category ids (any integers, e.g. 1..90 with gaps) are mapped to labels ``1..K`` in
increasing id order: label ``k`` is category ``cat_ids[k - 1]`` and is named ``classes[k - 1]``.
Boxes are read from ``bbox = [x, y, w, h]`` (pixels) and become ``xyxy``. Crowd annotations
are kept with ``iscrowd = 1`` (see :func:`detseg.data.target_checks.remove_crowd`).
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from detseg.data.base import Annotations, DetectionDataset

__all__ = ["CocoDetection", "decode_segmentation", "load_coco_json"]

logger = logging.getLogger(__name__)

_LAYOUT_HINT = (
    "expected a COCO json with 'images', 'annotations' and 'categories' and a folder holding "
    "the files named by images[*].file_name (see datasets/README.md)"
)


def load_coco_json(ann_file: Path) -> dict[str, Any]:
    """Load and minimally validate a COCO annotation file."""
    if not ann_file.is_file():
        raise FileNotFoundError(f"COCO annotation file not found: {ann_file}; {_LAYOUT_HINT}")
    with open(ann_file, encoding="utf-8") as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{ann_file} is not valid JSON: {exc}") from exc
    for key in ("images", "categories"):
        if not isinstance(data, dict) or key not in data:
            raise ValueError(f"{ann_file} has no '{key}' list; {_LAYOUT_HINT}")
    if not data["images"]:
        raise ValueError(f"{ann_file} lists no images; a dataset needs at least one")
    if not data["categories"]:
        raise ValueError(f"{ann_file} lists no categories; a detection dataset needs at least one")
    data.setdefault("annotations", [])
    return data


class CocoDetection(DetectionDataset):
    """A COCO-json dataset: ``dataset[i] -> (image Float32[3, H, W], target)`` or ``None``.

    Args:
        images_dir: Folder the ``file_name`` entries are relative to.
        ann_file: COCO annotation json.
        augmentations: Optional albumentations pipeline from
            :func:`detseg.data.transforms.build_augmentations`.
        load_masks: Also return ``target["masks"]`` (``UInt8[N, H, W]``) decoded from the
            polygon / RLE segmentations (a box-filled mask where an annotation has none).

    Attributes:
        classes: Category names in label order (labels ``1..K``).
        cat_ids: COCO category ids; label ``k`` is ``cat_ids[k - 1]``.
        image_ids: COCO image ids, sorted; ``target["image_id"]`` of image ``i`` is
            ``image_ids[i]``.

    Raises:
        FileNotFoundError: ``ann_file`` or ``images_dir`` (or the first listed image) is missing.
        ValueError: The json is not a COCO detection file or lists no images / categories.
    """

    def __init__(
        self,
        images_dir: str | os.PathLike,
        ann_file: str | os.PathLike,
        augmentations: Any | None = None,
        load_masks: bool = False,
    ) -> None:
        super().__init__(augmentations, load_masks)
        self.images_dir = Path(images_dir)
        self.ann_file = Path(ann_file)
        self._gt = load_coco_json(self.ann_file)
        if not self.images_dir.is_dir():
            raise FileNotFoundError(
                f"COCO images folder not found: {self.images_dir}; {_LAYOUT_HINT}"
            )
        categories = sorted(self._gt["categories"], key=lambda c: c["id"])
        self.cat_ids = [int(c["id"]) for c in categories]
        self.classes = [str(c["name"]) for c in categories]
        self._label_of = {cat_id: k + 1 for k, cat_id in enumerate(self.cat_ids)}
        self._images = {int(img["id"]): img for img in self._gt["images"]}
        self.image_ids = sorted(self._images)
        self._anns: dict[int, list[dict]] = defaultdict(list)
        self._unknown_per_image: dict[int, int] = defaultdict(int)
        unknown_ids: dict[Any, list[int]] = defaultdict(list)
        for ann in self._gt["annotations"]:
            image_id = int(ann["image_id"])
            if ann.get("category_id") in self._label_of:
                self._anns[image_id].append(ann)
            else:
                self._unknown_per_image[image_id] += 1
                unknown_ids[ann.get("category_id")].append(image_id)
        self.unknown_category_annotations = sum(self._unknown_per_image.values())
        for cat_id, image_ids in unknown_ids.items():
            example = self._images.get(image_ids[0], {}).get("file_name", f"id {image_ids[0]}")
            logger.warning(
                "%s: %d annotation(s) with category_id %r, which is not in its categories "
                "(ids %s), are skipped (first on image %s); add the category or fix the ids",
                self.ann_file,
                len(image_ids),
                cat_id,
                self.cat_ids,
                example,
            )
        first = self.image_path(0)
        if not first.is_file():
            raise FileNotFoundError(
                f"first image of {self.ann_file} not found at {first}: is images_dir "
                f"({self.images_dir}) the folder its file_name entries are relative to?"
            )

    def coco_gt(self) -> dict[str, Any]:
        """The loaded COCO json dict (ground truth for ``coco_evaluate``; do not mutate it)."""
        return self._gt

    def image_path(self, index: int) -> Path:
        return self.images_dir / self._images[self.image_ids[index]]["file_name"]

    def _known_anns(self, index: int) -> tuple[list[dict], int]:
        """Annotations of image ``index`` with a known category, and how many were not
        (those were reported once, when the json was loaded)."""
        image_id = self.image_ids[index]
        return self._anns.get(image_id, []), self._unknown_per_image.get(image_id, 0)

    def annotations(self, index: int, image_size: tuple[int, int]) -> Annotations:
        anns, unknown = self._known_anns(index)
        if not anns:
            return Annotations.empty(dropped=unknown)
        boxes = np.array([_xywh_to_xyxy(a.get("bbox")) for a in anns], dtype=np.float64)
        box_area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        area = [float(a["area"]) if "area" in a else box_area[i] for i, a in enumerate(anns)]
        return Annotations(
            boxes=boxes,
            labels=np.array([self._label_of[a["category_id"]] for a in anns], dtype=np.int64),
            iscrowd=np.array([int(a.get("iscrowd", 0)) for a in anns], dtype=np.int64),
            area=np.array(area, dtype=np.float32),
            dropped=unknown,
        )

    def instance_masks(self, index: int, image_size: tuple[int, int]) -> np.ndarray:
        anns, _ = self._known_anns(index)
        height, width = image_size
        masks = np.zeros((len(anns), height, width), dtype=np.uint8)
        for i, ann in enumerate(anns):
            masks[i] = decode_segmentation(ann, height, width, self.image_path(index))
        return masks


def _xywh_to_xyxy(bbox: Any) -> list[float]:
    """COCO ``[x, y, w, h]`` to ``[x1, y1, x2, y2]``; a malformed bbox becomes NaNs (dropped)."""
    try:
        x, y, w, h = (float(v) for v in bbox)
    except (TypeError, ValueError):
        return [float("nan")] * 4
    return [x, y, x + w, y + h]


def decode_segmentation(ann: dict, height: int, width: int, source: Path) -> np.ndarray:
    """``UInt8[H, W]`` mask of one annotation (polygons, RLE, or its box when it has neither)."""
    segm = ann.get("segmentation")
    if not segm:
        x1, y1, x2, y2 = _xywh_to_xyxy(ann.get("bbox"))
        mask = np.zeros((height, width), dtype=np.uint8)
        if np.isfinite([x1, y1, x2, y2]).all():
            mask[max(int(y1), 0) : int(np.ceil(y2)), max(int(x1), 0) : int(np.ceil(x2))] = 1
        return mask
    if isinstance(segm, list):  # polygons
        rle = mask_utils.merge(mask_utils.frPyObjects(segm, height, width))
    elif isinstance(segm.get("counts"), list):  # uncompressed RLE
        rle = mask_utils.frPyObjects(segm, height, width)
    else:  # compressed RLE
        rle = segm
    if tuple(rle["size"]) != (height, width):
        logger.warning(
            "%s: annotation %s has an RLE of size %s but the image is %dx%d; using an empty mask",
            source,
            ann.get("id"),
            rle["size"],
            height,
            width,
        )
        return np.zeros((height, width), dtype=np.uint8)
    return mask_utils.decode(rle).astype(np.uint8)
