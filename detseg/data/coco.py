"""COCO-json detection / instance-segmentation datasets.

Layout (paths are free; these are the shapes dataset's defaults)::

    <root>/train/images/<file_name>               images named by ``images[*].file_name``
    <root>/annotations/instances_train.json       {"images", "annotations", "categories"}

COCO category ids (any integers, e.g. 1..90 with gaps) are mapped to labels ``1..K`` in
increasing id order: label ``k`` is category ``cat_ids[k - 1]`` and is named ``classes[k - 1]``.
With ``classes`` (``data.classes``) the labels follow that list instead: each name must be a
category of the json, and the annotations of the categories left out are skipped (a deliberate
subset: counted in one log line, and left out of :meth:`CocoDetection.coco_gt` too, so the
evaluation scores the chosen categories only). ``cat_ids`` keeps the json's ids, so written
results keep them as well.
Category names are stripped of surrounding spaces (``" cat "`` is ``cat``), as every class name
is (:func:`~detseg.data.class_names.class_name`): ``data.classes`` picks the category by that
name, and the classes, a checkpoint, its predictions and the evaluation's tables all say it so.
Boxes are read from ``bbox = [x, y, w, h]`` (pixels) and become ``xyxy``. Crowd annotations
are kept with ``iscrowd = 1``; a training run's train split leaves them out
(:attr:`~detseg.data.base.DetectionDataset.drop_crowd`).
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path, PureWindowsPath
from typing import Any

import numpy as np

from detseg.config.suggest import did_you_mean
from detseg.data.base import Annotations, DetectionDataset, count_possibly_kept
from detseg.data.class_names import (
    EXAMPLE_LIMIT,
    check_unknown_classes,
    format_counts,
    read_class_names,
)
from detseg.data.coco_eval_defaults import default_area, with_eval_defaults
from detseg.data.coco_fields import coco_box_xyxy, coco_image_file, entry_size, short_json
from detseg.data.coco_json import (
    LAYOUT_HINT,
    check_unique_names,
    load_coco_json,
    misnumbered_annotations,
    stripped_category_names,
    warn_shared_file_names,
)
from detseg.data.coco_masks import count_box_masks, decode_segmentation
from detseg.data.image_io import other_suffix_names

__all__ = [
    "FIRST_IMAGES_LOOKED_FOR",
    "CocoDetection",
    "check_first_images",
    "check_unknown_categories",
]

logger = logging.getLogger(__name__)


def check_unknown_categories(
    unknown: Mapping[str, int],
    total: int,
    ann_file: Path,
    names: Mapping[int, str],
    places: Sequence[str],
) -> int:
    """Fail when most annotations of ``ann_file`` have a ``category_id`` absent from its
    ``categories``, else warn once (:func:`~detseg.data.class_names.check_unknown_classes`):
    the rule and text of ``coco`` and ``coco_seg``.

    Args:
        unknown: ``"category_id 9"`` -> annotations with it.
        total: Annotations of the file's images (unknown ones included).
        ann_file: The annotation json.
        names: Category id -> name, of every category of the json.
        places: ``"annotation id 17"`` of the first unknown annotations.

    Returns:
        The number of unknown annotations (the reader skips them).

    Raises:
        ValueError: More than half of ``total`` are unknown.
    """
    return check_unknown_classes(
        unknown,
        total,
        str(ann_file),
        "category_id not among its categories",
        [f"{cat_id} {names[cat_id]}" for cat_id in sorted(names)],
        fix="add the missing categories to its 'categories' list or fix the annotations' "
        "category_id",
        examples=places,
    )


#: How many of a json's first images (by id) are looked for when its dataset is built.
FIRST_IMAGES_LOOKED_FOR = 20


def check_first_images(ann_file: Path, images_dir: Path, file_names: Sequence[Any]) -> None:
    """Fail when none of the first :data:`FIRST_IMAGES_LOOKED_FOR` images of ``ann_file`` is
    found: a wrong ``images_dir`` (or ``file_name`` entries written for another folder) misses
    every image, and says so before a run starts. An image missing among found ones is left to
    the reader, which skips and counts it.

    Args:
        ann_file: The annotation json (named in the message).
        images_dir: Folder the ``file_name`` entries are relative to.
        file_names: The ``file_name`` entries of the json's images, by increasing image id.

    Raises:
        FileNotFoundError: None of the first images is a file; the message names the first one
            and asks whether ``images_dir`` is their folder, or, for an absolute ``file_name``,
            says that the json's path does not exist.
    """
    looked = list(file_names[:FIRST_IMAGES_LOOKED_FOR])
    paths = [coco_image_file(images_dir, name) for name in looked]
    if not paths or any(path.is_file() for path in paths):
        return
    others = f" (nor any other of its first {len(paths)} images)" if len(paths) > 1 else ""
    name = str(looked[0])
    if os.path.isabs(name) or PureWindowsPath(name).is_absolute():
        raise FileNotFoundError(
            f"first image of {ann_file} not found: its file_name {name} is an absolute path "
            f"that does not exist{others}: correct the json's file_name entries, or write them "
            f"relative to images_dir ({images_dir})"
        )
    renamed = other_suffix_names(paths[0])  # a folder re-encoded: a.png for the json's a.jpg
    if renamed:
        raise FileNotFoundError(
            f"first image of {ann_file} not found at {paths[0]}{others}, but "
            f"{', '.join(renamed)} is there: the image files have another suffix than the "
            "json's file_name entries; fix the entries or convert the images back"
        )
    raise FileNotFoundError(
        f"first image of {ann_file} not found at {paths[0]}{others}: is images_dir "
        f"({images_dir}) the folder its file_name entries are relative to?"
    )


class CocoDetection(DetectionDataset):
    """A COCO-json dataset: ``dataset[i] -> (image Float32[3, H, W], target)`` or ``None``.

    Args:
        images_dir: Folder the ``file_name`` entries are relative to.
        ann_file: COCO annotation json.
        augmentations: Optional albumentations pipeline from
            :func:`detseg.data.transforms.build_augmentations`.
        load_masks: Also return ``target["masks"]`` (``UInt8[N, H, W]``) decoded from the
            polygon / RLE segmentations (compressed or not; crowd ones too), a box-filled mask
            where an annotation has none (counted by :meth:`box_mask_count`; a training run
            warns of them). An instance whose mask is empty (an RLE of another
            size than the image decodes as empty) or lies outside its box is dropped and
            counted (:func:`~detseg.data.target_checks.check_masks`).
        classes: ``None``: every category of the json, by increasing id. Otherwise category
            names in label order (a list, a ``classes.txt`` or a data yaml, see
            :func:`~detseg.data.class_names.read_class_names`): a subset and order of the
            json's categories.

    Attributes:
        classes: Category names in label order (labels ``1..K``).
        cat_ids: COCO category ids; label ``k`` is ``cat_ids[k - 1]``.
        image_ids: COCO image ids, sorted; ``target["image_id"]`` of image ``i`` is
            ``image_ids[i]``.
        unknown_category_annotations: Annotations whose ``category_id`` is not among the
            json's categories (skipped, counted in ``target["dropped_boxes"]``).
        malformed_box_annotations: Annotations whose ``bbox`` is not ``[x, y, w, h]`` as four
            finite numbers (skipped, reported in one log line naming the first ids, counted in
            ``target["dropped_boxes"]``).
        missing_image_annotations: Annotations whose ``image_id`` is not among the json's
            images (skipped, reported in one log line); ``missing_image_ids`` lists the first
            few such ids.
        left_out_annotations: Annotations of categories that ``classes`` leaves out (skipped).
        misnumbered_annotations: ``"annotations[i] (id X)"`` of the annotations whose id the
            evaluation cannot index them by (0, none, an earlier one's; it renumbers them):
            :func:`~detseg.data.coco_json.misnumbered_annotations`, reported by
            ``tools/check_data.py``.

    Raises:
        FileNotFoundError: ``ann_file`` or ``images_dir`` is missing, or none of the first
            listed images (by id) is found (:func:`check_first_images`).
        ValueError: The json is not a COCO detection file, lists no images / categories or
            two categories with the same id, ``classes`` is ``None`` and two categories share
            a name, a name of ``classes`` is not a category, or most annotations have unknown
            categories.
    """

    def __init__(
        self,
        images_dir: str | os.PathLike,
        ann_file: str | os.PathLike,
        augmentations: Any | None = None,
        load_masks: bool = False,
        classes: Sequence[str] | str | os.PathLike | None = None,
    ) -> None:
        super().__init__(augmentations, load_masks)
        self.images_dir = Path(images_dir)
        self.ann_file = Path(ann_file)
        self._gt = load_coco_json(self.ann_file)
        written = self._gt["categories"]
        self._gt = {**self._gt, "categories": stripped_category_names(written)}
        self._gt_checked: dict[str, Any] | None = None
        self.misnumbered_annotations = misnumbered_annotations(self._gt["annotations"])
        if not self.images_dir.is_dir():
            raise FileNotFoundError(
                f"COCO images folder not found: {self.images_dir}; {LAYOUT_HINT}"
            )
        categories = sorted(self._gt["categories"], key=lambda c: c["id"])
        if classes is None:
            check_unique_names(self.ann_file, categories, written)
        chosen = categories if classes is None else self._choose(categories, classes)
        self.cat_ids = [int(c["id"]) for c in chosen]
        self.classes = [str(c["name"]) for c in chosen]
        self._label_of = {cat_id: k + 1 for k, cat_id in enumerate(self.cat_ids)}
        self._images = {int(img["id"]): img for img in self._gt["images"]}
        warn_shared_file_names(self.ann_file, self._gt["images"])
        self.image_ids = sorted(self._images)
        self._index_annotations({int(c["id"]) for c in categories})
        if classes is not None:
            self._gt = {
                **self._gt,
                "categories": chosen,
                "annotations": [a for a in self._gt["annotations"] if self._known(a)],
            }
        first_ids = self.image_ids[:FIRST_IMAGES_LOOKED_FOR]
        check_first_images(
            self.ann_file, self.images_dir, [self._images[i]["file_name"] for i in first_ids]
        )

    def _choose(
        self, categories: list[dict], classes: Sequence[str] | str | os.PathLike
    ) -> list[dict]:
        """The categories named by ``classes``, in its order."""
        by_name: dict[str, list[dict]] = defaultdict(list)
        for category in categories:
            by_name[str(category["name"])].append(category)
        chosen = []
        for name in read_class_names(classes):
            if name not in by_name:
                raise ValueError(
                    f"data.classes names {name!r}, which is not a category of {self.ann_file}"
                    f"{did_you_mean(name, by_name)}; its categories are: {', '.join(by_name)}"
                )
            if len(by_name[name]) > 1:
                ids = [int(c["id"]) for c in by_name[name]]
                raise ValueError(
                    f"{self.ann_file}: categories {ids} are all named {name!r}, so data.classes "
                    "cannot choose between them: give them distinct names"
                )
            chosen.append(by_name[name][0])
        return chosen

    def _known(self, ann: dict) -> bool:
        return ann.get("category_id") in self._label_of

    def _index_annotations(self, json_cat_ids: set[int]) -> None:
        """Group the annotations of the chosen categories by image; count and report the rest."""
        self._anns: dict[int, list[dict]] = defaultdict(list)
        self._skipped_per_image: dict[int, int] = defaultdict(int)
        unknown: Counter[str] = Counter()
        unknown_places: list[str] = []  # "annotation id 17" of the first unknown category ids
        malformed: list[dict] = []
        left_out: Counter[str] = Counter()
        names = {int(c["id"]): str(c["name"]) for c in self._gt["categories"]}
        self._count_missing_images()
        for ann in self._gt["annotations"]:
            cat_id = ann.get("category_id")
            if ann["image_id"] not in self._images:
                continue
            if cat_id in json_cat_ids and cat_id not in self._label_of:
                left_out[names[cat_id]] += 1
            elif cat_id not in json_cat_ids:
                self._skipped_per_image[int(ann["image_id"])] += 1
                unknown[f"category_id {cat_id!r}"] += 1
                if len(unknown_places) < EXAMPLE_LIMIT:
                    unknown_places.append(f"annotation id {ann.get('id')!r}")
            elif not np.isfinite(coco_box_xyxy(ann.get("bbox"))).all():
                self._skipped_per_image[int(ann["image_id"])] += 1
                malformed.append(ann)
            else:
                self._anns[int(ann["image_id"])].append(ann)
        self.malformed_box_annotations = len(malformed)
        if malformed:
            self._report_malformed_boxes(malformed)
        self.left_out_annotations = sum(left_out.values())
        if left_out:
            logger.info(
                "%s: skipping the %d annotations of categories left out of data.classes: %s",
                self.ann_file,
                self.left_out_annotations,
                format_counts(left_out),
            )
        total = (
            len(self._gt["annotations"])
            - self.left_out_annotations
            - self.missing_image_annotations
        )
        self.unknown_category_annotations = check_unknown_categories(
            unknown,
            total,
            self.ann_file,
            {cat_id: names[cat_id] for cat_id in json_cat_ids},
            unknown_places,
        )

    def _report_malformed_boxes(self, malformed: list[dict]) -> None:
        """One warning naming the first few annotations whose ``bbox`` is unusable."""
        shown = "; ".join(
            f"id {ann.get('id')}: {short_json(ann.get('bbox'))}" for ann in malformed[:3]
        )
        logger.warning(
            "%s: skipping %d annotation(s) whose bbox is not [x, y, w, h] as 4 finite numbers "
            "(%s%s): fix their bbox",
            self.ann_file,
            len(malformed),
            shown,
            "; ..." if len(malformed) > 3 else "",
        )

    def _count_missing_images(self) -> None:
        """Count the annotations naming an image id absent from ``images``; warn once."""
        missing = Counter(
            ann["image_id"]
            for ann in self._gt["annotations"]
            if ann["image_id"] not in self._images
        )
        self.missing_image_annotations = sum(missing.values())
        self.missing_image_ids = sorted(missing)[:5]
        if missing:
            ids = ", ".join(str(i) for i in self.missing_image_ids)
            logger.warning(
                "%s: skipping %d annotation(s) whose image_id is not among its images (image_id "
                "%s%s): fix their image_id or add the images to its 'images' list",
                self.ann_file,
                self.missing_image_annotations,
                ids,
                ", ..." if len(missing) > len(self.missing_image_ids) else "",
            )

    def coco_gt(self) -> dict[str, Any]:
        """The loaded COCO json dict (ground truth for ``coco_evaluate``; do not mutate it).

        With ``classes`` given, its ``categories`` and ``annotations`` are those of the chosen
        categories only. Annotations the dataset cannot use are left out, as training skips
        them: those naming an image absent from ``images`` and those whose ``bbox`` is not four
        finite numbers. An annotation without ``area`` or ``iscrowd`` gets the values training
        reads for it (the mask's pixel count where it has a ``segmentation``, else the box's
        ``w * h``; ``0``: :func:`~detseg.data.coco_eval_defaults.with_eval_defaults`), which the
        evaluation needs. One without ``segmentation`` keeps none: mask AP refuses such a ground
        truth by name (:func:`~detseg.evaluation.coco_checks.check_segm_ground_truth`, before a
        Mask R-CNN run trains) rather than score masks against boxes; ``tools/eval.py`` scores
        the boxes alone of a ground truth without any ``segmentation``, with a warning.
        """
        if self._gt_checked is None:
            annotations = [
                with_eval_defaults(a, entry_size(self._images[a["image_id"]]))
                for a in self._gt["annotations"]
                if self._usable_gt(a)
            ]
            originals = self._gt["annotations"]
            if len(annotations) == len(originals) and all(
                a is b for a, b in zip(annotations, originals, strict=True)
            ):
                self._gt_checked = self._gt
            else:
                self._gt_checked = {**self._gt, "annotations": annotations}
        return self._gt_checked

    def _usable_gt(self, ann: dict) -> bool:
        return ann["image_id"] in self._images and bool(
            np.isfinite(coco_box_xyxy(ann.get("bbox"))).all()
        )

    @property
    def num_objects(self) -> int:
        """The annotations training reads (a chosen category, a listed image, a bbox of four
        finite numbers) whose box it keeps on an image of the ``width`` x ``height`` of its
        image entry (:func:`~detseg.data.base.possibly_kept`; an entry without a whole-number
        size: any box that may be kept on some image), crowd regions left out under
        ``drop_crowd``; counted from the json. The stated size is enough for this quick check:
        training clips to the decoded image, and warns when it differs."""
        return count_possibly_kept(
            (self._trained_boxes(anns), entry_size(self._images[image_id]))
            for image_id, anns in self._anns.items()
        )

    def _trained_boxes(self, anns: list[dict]) -> np.ndarray:
        """``Float64[N, 4]`` ``xyxy`` boxes of those of ``anns`` (annotations of one image) that
        training reads: crowd regions are left out under ``drop_crowd``."""
        kept = [a for a in anns if not (self.drop_crowd and int(a.get("iscrowd", 0)))]
        boxes = [coco_box_xyxy(a.get("bbox")) for a in kept]
        return np.array(boxes, dtype=np.float64).reshape(-1, 4)

    @property
    def split_source(self) -> str:
        return f"{self.ann_file}, images in {self.images_dir}"

    def stated_size(self, index: int) -> tuple[int, int] | None:
        return entry_size(self._images[self.image_ids[index]])

    def image_path(self, index: int) -> Path:
        return coco_image_file(self.images_dir, self._images[self.image_ids[index]]["file_name"])

    def _known_anns(self, index: int) -> tuple[list[dict], int]:
        """Annotations of image ``index`` with a known category, and how many had an unknown one
        or a malformed ``bbox`` (those were reported once, when the json was loaded)."""
        image_id = self.image_ids[index]
        return self._anns.get(image_id, []), self._skipped_per_image.get(image_id, 0)

    def annotations(self, index: int, image_size: tuple[int, int]) -> Annotations:
        anns, unknown = self._known_anns(index)
        if not anns:
            return Annotations.empty(dropped=unknown)
        boxes = np.array([coco_box_xyxy(a.get("bbox")) for a in anns], dtype=np.float64)
        area = [float(a["area"]) if "area" in a else default_area(a, image_size) for a in anns]
        return Annotations(
            boxes=boxes,
            labels=np.array([self._label_of[a["category_id"]] for a in anns], dtype=np.int64),
            iscrowd=np.array([int(a.get("iscrowd", 0)) for a in anns], dtype=np.int64),
            area=np.array(area, dtype=np.float32),
            dropped=unknown,
            places=[self._place(a) for a in anns],  # a dropped box names its annotation
        )

    def _place(self, ann: dict) -> str:
        """``"<json> annotation id <id>"`` (``"... an annotation of image id <id>"`` without an
        ``id``): where a box is written."""
        if "id" in ann:
            return f"{self.ann_file} annotation id {ann['id']}"
        return f"{self.ann_file} an annotation of image id {ann['image_id']}"

    def box_mask_count(self) -> tuple[int, int]:
        """``(without, total)``: of the instances this dataset reads (crowd regions left out),
        how many have no ``segmentation``: with ``load_masks`` their masks are their filled
        boxes (:func:`~detseg.data.coco_masks.count_box_masks`)."""
        return count_box_masks(ann for anns in self._anns.values() for ann in anns)

    def instance_masks(self, index: int, image_size: tuple[int, int]) -> np.ndarray:
        anns, _ = self._known_anns(index)
        height, width = image_size
        masks = np.zeros((len(anns), height, width), dtype=np.uint8)
        for i, ann in enumerate(anns):
            masks[i] = decode_segmentation(ann, height, width, self.image_path(index))
        return masks
