"""Write a :class:`~detseg.convert.datasets.records.DatasetRecord` as a COCO-json dataset.

Output, per split (the layout :mod:`detseg.data.coco` reads with its default keys)::

    <dst>/<split>/images/<file_name>
    <dst>/annotations/instances_<split>.json

A ``file_name`` that is absolute or climbs with ``..`` becomes one flat name inside ``images/``
(:func:`~detseg.convert.datasets.output_files.contained_name`): nothing is written outside
``dst``. A name that another source image of the split already took (two such flattened
names) gets ``_1``, ``_2``, ... (:func:`~detseg.convert.datasets.output_files.unique_files`):
no image is written over another.

Image ids are ``1..N`` and annotation ids ``1..M`` in record order; category ids are ``1..K`` in
class order. ``bbox`` is ``[x, y, w, h]`` in float pixels, ``area`` the area of the object's
polygon ``segmentation`` when it has one (COCO's ``area`` is the segmentation's, and the
small / medium / large ranges of COCO evaluation are taken from it), else ``w * h``; ``iscrowd`` is
kept, and a difficult object gets ``"difficult": 1`` next to ``iscrowd: 0`` (ignored by COCO tools,
read back by this package); a truncated VOC object gets ``"truncated": 1`` the same way. An object
with an outline (a YOLO segment) gets it as its polygon ``segmentation`` (``[[x1, y1, x2, y2,
...]]`` pixels); other objects get none.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from detseg.convert.datasets.output_files import (
    Progress,
    WrittenSplit,
    contained_name,
    place_image,
    unique_files,
)
from detseg.convert.datasets.records import DatasetRecord, ObjectRecord, for_stated_size

__all__ = ["write_coco"]


def _polygon_area(polygon: tuple[float, ...]) -> float:
    """Area in square pixels of the closed ring ``(x1, y1, x2, y2, ...)`` (shoelace formula)."""
    xs, ys = polygon[0::2], polygon[1::2]
    twice = sum(xs[k - 1] * ys[k] - xs[k] * ys[k - 1] for k in range(len(xs)))
    return abs(twice) / 2


def _annotation(obj: ObjectRecord, ann_id: int, image_id: int) -> dict[str, Any]:
    x1, y1, x2, y2 = obj.box
    ann: dict[str, Any] = {
        "id": ann_id,
        "image_id": image_id,
        "category_id": obj.class_index + 1,
        "bbox": [x1, y1, x2 - x1, y2 - y1],
        "area": _polygon_area(obj.polygon) if obj.polygon else (x2 - x1) * (y2 - y1),
        "iscrowd": int(obj.iscrowd),
    }
    if obj.difficult:
        ann["difficult"] = 1
    if obj.truncated:
        ann["truncated"] = 1
    if obj.polygon:
        ann["segmentation"] = [list(obj.polygon)]
    return ann


def write_coco(
    dataset: DatasetRecord, dst: Path, link: bool, progress: Progress
) -> list[WrittenSplit]:
    """Write every split of ``dataset`` under ``dst`` (layout in the module docstring).

    Args:
        dataset: What to write.
        dst: Output root.
        link: Symlink the images instead of copying them.
        progress: Wraps each split's images (a progress bar).

    Returns:
        What was written, per split.
    """
    categories = [{"id": k + 1, "name": name} for k, name in enumerate(dataset.classes)]
    (dst / "annotations").mkdir(parents=True, exist_ok=True)
    written = []
    for split in dataset.splits:
        counts = WrittenSplit(split.name)
        images: list[dict[str, Any]] = []
        annotations: list[dict[str, Any]] = []
        names = unique_files(
            [contained_name(image.file_name) for image in split.images],
            [image.path for image in split.images],
        )
        for k, listed in enumerate(progress(split.name, split.images)):
            image = for_stated_size(listed)
            file_name = names[k]
            place_image(image.path, dst / split.name / "images" / file_name, link)
            image_id = len(images) + 1
            images.append(
                {
                    "id": image_id,
                    "file_name": file_name,
                    "width": image.width,
                    "height": image.height,
                }
            )
            for obj in image.objects:
                annotations.append(_annotation(obj, len(annotations) + 1, image_id))
            counts.add_image(image.objects)
        coco = {"images": images, "annotations": annotations, "categories": categories}
        ann_file = dst / "annotations" / f"instances_{split.name}.json"
        ann_file.write_text(json.dumps(coco, separators=(",", ":")), encoding="utf-8")
        written.append(counts)
    return written
