"""Write a :class:`~detseg.convert.datasets.records.DatasetRecord` as a YOLO-txt dataset.

Output (the layout :mod:`detseg.data.yolo` reads)::

    <dst>/images/<split>/<name>            the image file as it was (not re-encoded)
    <dst>/labels/<split>/<stem>.txt        "class cx cy w h" per object; empty for no objects
    <dst>/classes.txt                      the class names, one per line

``class`` is the 0-based class index; ``cx cy w h`` are the box centre and size divided by the image
width and height, written with 8 decimals. With ``segments`` (``--segments``, COCO source) an object
with an outline is an Ultralytics segment line ``class x1 y1 x2 y2 ...`` instead (its points
normalised the same way; YOLO readers take its extent as the box: a warning counts the objects whose
outline spans less than their box, :func:`shrinks_box`). YOLO labels have no crowd or
difficult flag: crowd regions are dropped (counted, and a warning says how many), difficult objects
are written as ordinary objects. Sub-folders of a source file name are joined into the name with
``_``, and stems repeated within a split get ``_1``, ``_2``, ... . An image whose file type YOLO
training does not list (:data:`detseg.data.image_io.IMAGE_SUFFIXES`: a ``.gif`` of a COCO source) is
skipped, logged and counted: written, it would be an image training never reads. YOLO training
reads every image as displayed (EXIF orientation applied, as Ultralytics reads it), so the boxes
and outlines of a tagged JPEG that its COCO / VOC source annotated on the stored pixels are moved to
the displayed image and normalised by its size
(:func:`~detseg.convert.datasets.records.in_displayed_pixels`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path, PurePosixPath

from detseg.convert.datasets.output_files import (
    Progress,
    WrittenSplit,
    flat_name,
    place_image,
    unique_names,
)
from detseg.convert.datasets.records import (
    DatasetRecord,
    ImageRecord,
    ObjectRecord,
    in_displayed_pixels,
)
from detseg.data.image_io import IMAGE_SUFFIXES

__all__ = ["shrinks_box", "yolo_line", "write_yolo"]

logger = logging.getLogger(__name__)

#: Why an image of another file type is not written (training lists only these suffixes).
_UNLISTED = (
    f"YOLO training reads only {', '.join(IMAGE_SUFFIXES)} files from an images folder; "
    "image skipped (save it in one of those types to keep it)"
)


def yolo_line(obj: ObjectRecord, width: int, height: int, segments: bool = False) -> str:
    """``"class cx cy w h"`` of one object (``obj.box`` is ``xyxy`` pixels; output normalised),
    or with ``segments`` and an outline, the segment ``"class x1 y1 x2 y2 ..."`` of
    ``obj.polygon`` (pixels; output normalised)."""
    if segments and len(obj.polygon) >= 6:
        sides = (width, height)
        points = [v / sides[k % 2] for k, v in enumerate(obj.polygon)]
        return " ".join([str(obj.class_index), *(f"{v:.8f}" for v in points)])
    x1, y1, x2, y2 = obj.box
    values = ((x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height)
    return " ".join([str(obj.class_index), *(f"{v:.8f}" for v in values)])


#: An outline whose extent covers less of the object's box than this (IoU) shrinks the box
#: that YOLO training reads from it (a COCO outline that disagrees with its ``bbox``).
SHRUNK_IOU = 0.8


def shrinks_box(obj: ObjectRecord) -> bool:
    """Whether ``obj.polygon`` (written as a segment line) spans less than ``SHRUNK_IOU`` of
    ``obj.box`` (both pixels): training would read the smaller extent as the box."""
    if len(obj.polygon) < 6:
        return False
    xs, ys = obj.polygon[0::2], obj.polygon[1::2]
    x1, y1, x2, y2 = obj.box
    inner = max(0.0, min(x2, max(xs)) - max(x1, min(xs))) * max(
        0.0, min(y2, max(ys)) - max(y1, min(ys))
    )
    union = (x2 - x1) * (y2 - y1) + (max(xs) - min(xs)) * (max(ys) - min(ys)) - inner
    return union > 0 and inner / union < SHRUNK_IOU


def _write_labels(image: ImageRecord, label_file: Path, segments: bool) -> list[ObjectRecord]:
    """Write the label file of ``image``, normalised to the image as displayed (as YOLO
    training reads it); return the objects written (crowd regions are not)."""
    kept = [obj for obj in image.objects if not obj.iscrowd]
    shown = in_displayed_pixels(replace(image, objects=kept))
    lines = [yolo_line(obj, shown.width, shown.height, segments) for obj in shown.objects]
    label_file.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return kept


def write_yolo(
    dataset: DatasetRecord, dst: Path, link: bool, progress: Progress, segments: bool = False
) -> list[WrittenSplit]:
    """Write every split of ``dataset`` under ``dst`` (layout in the module docstring).

    Args:
        dataset: What to write.
        dst: Output root.
        link: Symlink the images instead of copying them.
        progress: Wraps each split's images (a progress bar).
        segments: Write an object with an outline as a segment line (``--segments``).

    Returns:
        What was written, per split (``dropped``: the crowd regions).
    """
    dst.mkdir(parents=True, exist_ok=True)
    (dst / "classes.txt").write_text("".join(f"{c}\n" for c in dataset.classes), encoding="utf-8")
    written = []
    for split in dataset.splits:
        counts = WrittenSplit(split.name)
        names = unique_names([flat_name(image.file_name) for image in split.images])
        labels_dir = dst / "labels" / split.name
        labels_dir.mkdir(parents=True, exist_ok=True)
        shrunk = 0
        for k, image in enumerate(progress(split.name, split.images)):
            if PurePosixPath(names[k]).suffix.lower() not in IMAGE_SUFFIXES:
                counts.skip_image(image.path, _UNLISTED)
                continue
            place_image(image.path, dst / "images" / split.name / names[k], link)
            label_file = labels_dir / f"{PurePosixPath(names[k]).stem}.txt"
            kept = _write_labels(image, label_file, segments)
            counts.add_image(kept, dropped=len(image.objects) - len(kept))
            shrunk += sum(shrinks_box(obj) for obj in kept) if segments else 0
        if counts.dropped:
            logger.warning(
                "%s: %d crowd region(s) dropped (YOLO labels have no crowd flag)",
                split.name,
                counts.dropped,
            )
        if shrunk:
            logger.warning(
                "%s: %d object(s) written as a segment line that spans less than their box (their "
                "segmentation and bbox disagree), so YOLO training reads a smaller box; convert "
                "without --segments to keep the boxes",
                split.name,
                shrunk,
            )
        written.append(counts)
    return written
