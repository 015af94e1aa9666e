"""COCO instance annotations as semantic segmentation label maps.

:class:`CocoSegmentation` reads the same files as :class:`detseg.data.coco.CocoDetection` and
paints each image's instances into one ``[H, W]`` label map when the sample is loaded:

* category ids are sorted and mapped to labels ``1..K`` (label ``k`` is ``cat_ids[k - 1]``,
  as for detection); pixels no instance covers are background ``0``;
* crowd regions (``iscrowd: 1``) are painted ``255`` (ignore) first;
* the other instances are painted over them from the largest to the smallest mask (pixel
  count), so where two instances overlap the smaller one wins (it is usually the one in
  front, e.g. a cup on a table); instances of equal size are painted in file order, the later
  one winning. An instance therefore overrides a crowd region it lies in.

Annotations whose ``image_id`` is not in ``images`` are left out (one warning at load, naming
the first ids). Those whose ``category_id`` is not in ``categories`` are left out as
:class:`~detseg.data.coco.CocoDetection` leaves them out: one warning naming them, or an error
when they are more than half of the annotations. Instances without a ``segmentation`` are
painted as their filled boxes (one warning at load); those whose ``bbox`` is not 4 finite
numbers either are left out (one warning naming them).
Image entries are read as :class:`~detseg.data.coco.CocoDetection` reads them: a ``file_name``
with Windows separators is also looked up with ``/``, and the first image whose decoded size
differs from its entry's ``height`` / ``width`` is a warning (its polygons were drawn on other
pixels: an image resized after annotation); the label map is painted at the decoded size.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from detseg.data.class_names import EXAMPLE_LIMIT
from detseg.data.coco import (
    FIRST_IMAGES_LOOKED_FOR,
    check_first_images,
    check_unknown_categories,
)
from detseg.data.coco_fields import coco_box_xyxy, coco_image_file, entry_size, short_json
from detseg.data.coco_json import load_coco_json, warn_shared_file_names
from detseg.data.coco_masks import count_box_masks, decode_segmentation
from detseg.data.seg_classes import json_category_classes
from detseg.data.seg_dataset import SegmentationDataset
from detseg.data.seg_transforms import IGNORE_INDEX

__all__ = ["CocoSegmentation", "rasterize_instances"]

logger = logging.getLogger(__name__)


def rasterize_instances(
    anns: list[dict[str, Any]],
    label_of: dict[int, int],
    image_size: tuple[int, int],
    source: Path,
) -> np.ndarray:
    """Paint COCO annotations of one image into a semantic label map.

    Args:
        anns: COCO annotations (``segmentation`` as polygons or RLE; the box is used when an
            annotation has none), all with a ``category_id`` in ``label_of``.
        label_of: COCO category id -> label ``1..K``.
        image_size: ``(H, W)`` of the image.
        source: Image path, for warnings about RLEs of the wrong size.

    Returns:
        ``UInt8[H, W]``: ``0`` background, ``1..K`` labels, ``255`` crowd regions not covered by
        a non-crowd instance. Overlaps: the smaller instance wins (module docstring).
    """
    height, width = image_size
    label_map = np.zeros((height, width), dtype=np.uint8)
    things = []
    for ann in anns:
        mask = decode_segmentation(ann, height, width, source).astype(bool)
        if ann.get("iscrowd", 0):
            label_map[mask] = IGNORE_INDEX
        else:
            things.append((mask, label_of[int(ann["category_id"])]))
    # Largest first; sorted() is stable, so equal areas keep file order (the later one on top).
    for mask, label in sorted(things, key=lambda item: -int(item[0].sum())):
        label_map[mask] = label
    return label_map


def _first_ids(anns: list[dict], shown: int = 3) -> str:
    """The ``id`` of the first ``shown`` annotations, then ``...`` when there are more."""
    ids = ", ".join(str(a.get("id")) for a in anns[:shown])
    return ids + (", ..." if len(anns) > shown else "")


class CocoSegmentation(SegmentationDataset):
    """A COCO-json dataset as semantic segmentation: ``(image, mask Int64[H, W])`` or ``None``.

    Args:
        images_dir: Folder the ``file_name`` entries are relative to.
        ann_file: COCO annotation json with ``segmentation`` entries.
        augmentations: Optional albumentations pipeline.

    Attributes:
        classes: Category names in label order (labels ``1..K``).
        cat_ids: COCO category ids; label ``k`` is ``cat_ids[k - 1]``.
        image_ids: COCO image ids, sorted (image ``i`` is ``image_ids[i]``).
        missing_image_annotations: Annotations whose ``image_id`` is not among the json's
            images (left out, one warning); ``missing_image_ids`` lists the first few such ids.
        unknown_category_annotations: Annotations of the json's images whose ``category_id``
            is not among its categories (left out, one warning).
        malformed_box_annotations: Instances with neither a ``segmentation`` nor a ``bbox``
            of 4 finite numbers (left out, one warning): they would paint nothing.

    Raises:
        FileNotFoundError: ``ann_file``, ``images_dir`` or the first listed image is missing.
        ValueError: The json is not a COCO file, lists no images / categories, or has more
            than 254 categories; or more than half of its annotations (of listed images) have
            a ``category_id`` not among its categories (the rule of
            :class:`~detseg.data.coco.CocoDetection`).
    """

    def __init__(
        self,
        images_dir: str | os.PathLike,
        ann_file: str | os.PathLike,
        augmentations: Any | None = None,
    ) -> None:
        super().__init__(augmentations)
        self.images_dir, self.ann_file = Path(images_dir), Path(ann_file)
        gt = load_coco_json(self.ann_file)
        if not self.images_dir.is_dir():
            raise FileNotFoundError(f"COCO images folder not found: {self.images_dir}")
        self.cat_ids, self.classes = json_category_classes(self.ann_file, gt["categories"])
        self._label_of = {cat_id: k + 1 for k, cat_id in enumerate(self.cat_ids)}
        self._images = {int(img["id"]): img for img in gt["images"]}
        warn_shared_file_names(self.ann_file, gt["images"])
        self.image_ids = sorted(self._images)
        self._index_annotations(gt)
        self._report_box_masks()
        first = self.image_ids[:FIRST_IMAGES_LOOKED_FOR]  # one found among them is enough
        check_first_images(
            self.ann_file, self.images_dir, [self._images[i]["file_name"] for i in first]
        )

    def _index_annotations(self, gt: dict[str, Any]) -> None:
        """Group the annotations the label maps paint by image; count and report the rest:
        those of an image absent from ``images`` (``missing_image_annotations``), of a
        category absent from ``categories`` (``unknown_category_annotations``, the rule of
        :class:`~detseg.data.coco.CocoDetection`: an error when they are most of them) and
        instances with neither a ``segmentation`` nor a usable ``bbox``
        (``malformed_box_annotations``), which would paint nothing."""
        self._anns: dict[int, list[dict]] = defaultdict(list)
        unknown: Counter[str] = Counter()
        unknown_places: list[str] = []  # "annotation id 17" of the first unknown category ids
        orphans: list[dict] = []
        malformed: list[dict] = []
        for ann in gt["annotations"]:
            cat_id = ann.get("category_id")
            if ann["image_id"] not in self._images:
                orphans.append(ann)
            elif cat_id not in self._label_of:
                unknown[f"category_id {cat_id!r}"] += 1
                if len(unknown_places) < EXAMPLE_LIMIT:
                    unknown_places.append(f"annotation id {ann.get('id')!r}")
            elif (
                not ann.get("segmentation")
                and not np.isfinite(coco_box_xyxy(ann.get("bbox"))).all()
            ):
                malformed.append(ann)
            else:
                self._anns[int(ann["image_id"])].append(ann)
        self._report_orphans(orphans)
        self.unknown_category_annotations = check_unknown_categories(
            unknown,
            len(gt["annotations"]) - len(orphans),
            self.ann_file,
            dict(zip(self.cat_ids, self.classes, strict=True)),
            unknown_places,
        )
        self.malformed_box_annotations = len(malformed)
        if malformed:
            shown = "; ".join(
                f"id {ann.get('id')}: {short_json(ann.get('bbox'))}" for ann in malformed[:3]
            )
            logger.warning(
                "%s: skipping %d annotation(s) without a 'segmentation' whose bbox is not "
                "[x, y, w, h] as 4 finite numbers (%s%s): fix their bbox, or add their "
                "segmentation",
                self.ann_file,
                len(malformed),
                shown,
                "; ..." if len(malformed) > 3 else "",
            )

    def _report_orphans(self, orphans: list[dict]) -> None:
        """One warning for the annotations of an image absent from ``images`` (counted in
        ``missing_image_annotations``, the first ids in ``missing_image_ids``)."""
        self.missing_image_annotations = len(orphans)
        self.missing_image_ids = sorted({int(a["image_id"]) for a in orphans})[:5]
        if orphans:
            logger.warning(
                "%s: %d annotation(s) have an image_id that is not among its images (image_id "
                "%s): they are left out of the label maps; fix their image_id or add the images "
                "to its 'images' list",
                self.ann_file,
                len(orphans),
                ", ".join(str(i) for i in self.missing_image_ids),
            )

    def _report_box_masks(self) -> None:
        """One warning when painted instances have no ``segmentation``: their label map
        regions are their filled boxes (:func:`~detseg.data.coco_masks.decode_segmentation`),
        so the model learns, and mIoU scores, boxes as object shapes."""
        anns = [a for anns in self._anns.values() for a in anns]
        without, total = count_box_masks(anns)
        if without:
            shapeless = [a for a in anns if not a.get("segmentation") and a.get("iscrowd", 0) != 1]
            logger.warning(
                "%s: %d of %d instances have no 'segmentation' (annotation id %s): the label "
                "maps paint their filled boxes, so training learns and mIoU scores boxes as "
                "their shapes; add each instance's mask (polygons or an RLE) to the file",
                self.ann_file,
                without,
                total,
                _first_ids(shapeless),
            )

    def image_path(self, index: int) -> Path:
        return coco_image_file(self.images_dir, self._images[self.image_ids[index]]["file_name"])

    def stated_size(self, index: int) -> tuple[int, int] | None:
        return entry_size(self._images[self.image_ids[index]])

    def mask_path(self, index: int) -> Path:
        return self.ann_file

    def label_map(self, index: int, image_size: tuple[int, int]) -> np.ndarray:
        self.check_stated_size(index, image_size)
        anns = self._anns.get(self.image_ids[index], [])
        return rasterize_instances(anns, self._label_of, image_size, self.image_path(index))
