"""Counting what the scan found: per-split summaries and the overlap between splits.

Everything returned here is plain JSON data (``summary.json``); the file lists hold the files
as shown in reports (relative to the data root). :mod:`detseg.dataset_check.findings` turns
these counts into errors and warnings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from detseg.dataset_check.scan_records import ImageRecord, SplitScan

__all__ = ["box_sizes", "duplicate_groups", "split_overlap", "split_summary"]

_STATS = ("min", "p05", "median", "p95", "max")


def box_sizes(scan: SplitScan) -> dict[str, np.ndarray]:
    """Widths, heights and aspect ratios (w / h) of the boxes training keeps, in px, as it
    keeps them: clipped to the image, without the dropped boxes and the crowd regions.

    Returns:
        ``{"width": Float64[M], "height": Float64[M], "aspect": Float64[M]}``.
    """
    rows = [r.flags.clipped[r.kept] for r in scan.records if r.flags is not None]
    boxes = np.concatenate(rows) if rows else np.zeros((0, 4))
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return {"width": width, "height": height, "aspect": width / height}


def _describe(values: np.ndarray) -> dict[str, float] | None:
    """``{min, p05, median, p95, max}`` of ``values``; ``None`` when empty."""
    if values.size == 0:
        return None
    points = np.percentile(values, [0, 5, 50, 95, 100])
    return {k: round(float(v), 3) for k, v in zip(_STATS, points, strict=True)}


def duplicate_groups(records: Iterable[ImageRecord], by: str) -> list[list[str]]:
    """Groups of files sharing a file name (``by="name"``) or their bytes (``by="content"``).

    A name group holds different paths with the same last component; a content group holds
    the entries whose files hash alike (the same path listed twice counts as a duplicate).

    Returns:
        The groups (files as shown in reports), in dataset order, each of 2 or more files.
    """
    groups: dict[str, list[str]] = defaultdict(list)
    for record in records:
        if by == "name":
            if record.file not in groups[record.path.name]:
                groups[record.path.name].append(record.file)
        elif record.digest is not None:
            groups[record.digest].append(record.file)
    return [files for files in groups.values() if len(files) > 1]


def _files(records: Iterable[ImageRecord], limit: int) -> list[str]:
    return [r.file for r in records][:limit]


def _lost_annotations(record: ImageRecord) -> bool:
    """Whether the reader rejected, or the box or mask checks dropped, an annotation of the
    image (crowd regions are left out on purpose and do not count)."""
    dropped = record.flags is not None and bool(record.flags.dropped.any())
    return record.rejected > 0 or dropped or bool(record.bad_masks.any())


def _detection_counts(scan: SplitScan, limit: int) -> dict[str, Any]:
    """Objects, empty images, classes and box problems of a detection split.

    Objects, classes, empty images and box sizes count what training learns from: the boxes
    its box checks keep, without the crowd regions (counted apart as ``crowd_annotations``).
    """
    readable = [r for r in scan.records if r.readable and r.label_problem is None]
    num = len(scan.classes)
    objects = np.zeros(num + 1, dtype=np.int64)
    images = np.zeros(num + 1, dtype=np.int64)
    for record in readable:
        labels = record.labels[record.kept]
        labels = labels[(labels >= 1) & (labels <= num)]
        objects += np.bincount(labels, minlength=num + 1)
        images[np.unique(labels)] += 1
    flagged = [(r, r.flags) for r in readable if r.flags is not None]
    outside = [(r, f) for r, f in flagged if f.outside.any()]
    degenerate = [(r, f) for r, f in flagged if f.degenerate.any()]
    crowded = [r for r in readable if r.crowd.any()]
    bad_masks = [r for r in readable if r.bad_masks.any()]
    rejected = [r for r in readable if r.rejected]
    empty = [r for r in readable if not r.kept.any()]
    emptied = [r for r in empty if _lost_annotations(r)]
    sizes = box_sizes(scan)
    return {
        "objects": int(sum(len(r.labels) for r in readable)),
        # what training learns from: the boxes its box checks keep (outside ones clipped),
        # crowd regions left out
        "kept_objects": int(sum(int(r.kept.sum()) for r in readable)),
        "crowd_annotations": int(sum(int(r.crowd.sum()) for r in crowded)),
        "bad_masks": int(sum(int(r.bad_masks.sum()) for r in bad_masks)),
        "bad_mask_files": _files(bad_masks, limit),
        "crowd_files": _files(crowded, limit),
        "empty_images": len(empty),
        "empty_files": _files(empty, limit),
        "emptied_images": len(emptied),
        "emptied_files": _files(emptied, limit),
        "classes": {
            name: {"objects": int(objects[k + 1]), "images": int(images[k + 1])}
            for k, name in enumerate(scan.classes)
        },
        "outside_boxes": int(sum(f.outside.sum() for _, f in outside)),
        "outside_dropped": int(sum((f.outside & f.dropped).sum() for _, f in outside)),
        "outside_files": _files((r for r, _ in outside), limit),
        "degenerate_boxes": int(sum(f.degenerate.sum() for _, f in degenerate)),
        "degenerate_files": _files((r for r, _ in degenerate), limit),
        "rejected_annotations": int(sum(r.rejected for r in rejected)),
        "rejected_files": _files(rejected, limit),
        "orphan_annotations": scan.orphan_annotations,
        "orphan_image_ids": scan.orphan_image_ids[:limit],
        "unreadable_annotation_files": len(scan.unreadable_annotation_files),
        "unreadable_annotation_examples": scan.unreadable_annotation_files[:limit],
        "unmatched_label_files": len(scan.unmatched_label_files),
        "unmatched_label_examples": scan.unmatched_label_files[:limit],
        "unread_image_files": len(scan.unread_image_files),
        "unread_image_examples": scan.unread_image_files[:limit],
        "misnumbered_annotations": len(scan.misnumbered_annotations),
        "misnumbered_annotation_examples": scan.misnumbered_annotations[:limit],
        **_size_mismatch_counts(scan, limit),
        "box_width": _describe(sizes["width"]),
        "box_height": _describe(sizes["height"]),
        "box_aspect": _describe(sizes["aspect"]),
    }


def _size_mismatch_counts(scan: SplitScan, limit: int) -> dict[str, Any]:
    """Readable images whose stated size (a COCO entry's, a VOC ``<size>``) is not the size
    training reads the file at."""
    mismatched = [r for r in scan.records if r.readable and r.stated_size not in (None, r.size)]
    return {
        "size_mismatches": len(mismatched),
        "size_mismatch_examples": [_size_mismatch(r) for r in mismatched[:limit]],
    }


def _size_mismatch(record: ImageRecord) -> str:
    """``"img.png: the annotations say 640 x 480 (W x H), the file is 64 x 64"``."""
    assert record.stated_size is not None and record.size is not None
    (stated_h, stated_w), (h, w) = record.stated_size, record.size
    return (
        f"{record.file}: the annotations say {stated_w} x {stated_h} (W x H), the file is {w} x {h}"
    )


def _read_as_displayed(record: ImageRecord, scan: SplitScan) -> bool:
    """Whether training reads a tagged record as displayed: the scan found its labels state the
    displayed size, or the reader applies every orientation (YOLO,
    :meth:`~detseg.data.base.ImageDataset.reads_as_displayed`)."""
    assert record.size is not None
    return record.displayed or scan.dataset.reads_as_displayed(
        record.index, record.orientation, record.size
    )


def _orientation_counts(scan: SplitScan, limit: int) -> dict[str, Any]:
    """JPEGs with an EXIF orientation other than upright: read as displayed (a YOLO dataset's,
    or labels that state the displayed size) or as stored (the reader's rule,
    :mod:`detseg.data.image_io`)."""
    tagged = [r for r in scan.records if r.readable and r.orientation != 1]
    displayed = [r for r in tagged if _read_as_displayed(r, scan)]
    stored = [r for r in tagged if not _read_as_displayed(r, scan)]
    return {
        "displayed_images": len(displayed),
        "displayed_examples": [_orientation_example(r) for r in displayed[:limit]],
        "stored_orientation_images": len(stored),
        "stored_orientation_examples": [_orientation_example(r) for r in stored[:limit]],
    }


def _orientation_example(record: ImageRecord) -> str:
    """``"a.jpg: EXIF orientation 6, read as 20 x 40 (W x H)"``."""
    assert record.size is not None
    height, width = record.size
    return (
        f"{record.file}: EXIF orientation {record.orientation}, read as {width} x {height} (W x H)"
    )


def _segmentation_counts(scan: SplitScan, limit: int) -> dict[str, Any]:
    """Class pixel frequencies and images without foreground of a segmentation split."""
    maps = [r for r in scan.records if r.class_pixels is not None]
    num = len(scan.classes)
    pixels = np.zeros(num + 1, dtype=np.int64)
    images = np.zeros(num + 1, dtype=np.int64)
    for record in maps:
        assert record.class_pixels is not None
        pixels += record.class_pixels
        images += record.class_pixels > 0
    labelled = max(int(pixels.sum()), 1)
    names = ["background", *scan.classes]
    empty = [r for r in maps if r.class_pixels is not None and not r.class_pixels[1:].any()]
    void_only = [r for r in maps if r.void_only]
    return {
        **_size_mismatch_counts(scan, limit),
        "unpaired_images": len(scan.unpaired_images),
        "unpaired_image_examples": scan.unpaired_images[:limit],
        "unmatched_label_maps": len(scan.unmatched_label_maps),  # folder_seg
        "unmatched_label_map_examples": scan.unmatched_label_maps[:limit],
        "nested_images": len(scan.nested_images),  # folder_seg
        "nested_image_examples": scan.nested_images[:limit],
        "orphan_annotations": scan.orphan_annotations,  # coco_seg
        "orphan_image_ids": scan.orphan_image_ids[:limit],
        "rejected_annotations": scan.rejected_annotations,  # coco_seg
        "foreground_pixels": int(pixels[1:].sum()),
        "ignore_pixels": int(sum(r.ignore_pixels for r in maps)),
        "empty_images": len(empty),
        "empty_files": _files(empty, limit),
        "void_only_images": len(void_only),
        "void_only_files": _files(void_only, limit),
        "class_pixels": {
            name: {
                "pixels": int(pixels[k]),
                "share": round(float(pixels[k]) / labelled, 6),
                "images": int(images[k]),
            }
            for k, name in enumerate(names)
        },
    }


def split_summary(scan: SplitScan, limit: int = 5) -> dict[str, Any]:
    """All counts of one split.

    Args:
        scan: The split's records.
        limit: How many file names each list keeps (the counts cover every file).

    Returns:
        ``images``, ``unreadable`` (+ ``unreadable_files`` as ``"file: reason"``),
        ``label_problems`` ``{"invalid", "unreadable"}`` counts (+ ``label_problem_files``
        ``"file: reason"`` lists by kind), duplicate name and content counts and groups, JPEGs
        read as displayed by their EXIF orientation (``displayed_images``, with
        ``displayed_examples``) and JPEGs tagged as rotated or mirrored but read as stored
        (``stored_orientation_images``, with ``stored_orientation_examples``), the split file
        of a ``voc`` or ``voc_seg`` split (``split_file``) and how many of its ids lack their
        image or label map (``missing_listed``), and the
        counts of the task (detection: objects (every annotation the reader yields) and
        ``kept_objects`` (those training learns from: kept by its box and mask checks, not
        crowd regions; the class histogram, ``empty_images`` and the box sizes count these),
        ``crowd_annotations`` (with ``crowd_files``), instances dropped for their mask
        (``bad_masks``, with ``bad_mask_files``; ``load_masks`` only), classes, box
        problems, annotations of images absent from the dataset (``orphan_annotations``),
        annotation files the reader could not read (``unreadable_annotation_files``, with
        ``unreadable_annotation_examples`` as ``"file: reason"``), label files of no image
        (``unmatched_label_files``, with ``unmatched_label_examples``), image files of a type
        YOLO training does not list (``unread_image_files``, with ``unread_image_examples``),
        COCO annotations the evaluation cannot index by their id (``misnumbered_annotations``,
        with ``misnumbered_annotation_examples``),
        images whose stated size is not the one training reads the file at
        (``size_mismatches``, with ``size_mismatch_examples``), box size statistics;
        segmentation: the size mismatches and annotations of absent images as for detection
        (``coco_seg``), class pixel frequencies, images left out for want of a label map
        (``unpaired_images``, with ``unpaired_image_examples``), label maps left out for want
        of an image (``unmatched_label_maps``, with ``unmatched_label_map_examples``), images in
        folders inside a ``folder_seg`` images folder, which are not read (``nested_images``,
        with ``nested_image_examples``), annotations a ``coco_seg`` reader rejected
        (``rejected_annotations``), label maps of only 0 and 255 (``void_only_images``, with
        ``void_only_files``)).
    """
    unreadable = [r for r in scan.records if not r.readable]
    problems: dict[str, list[str]] = {"invalid": [], "unreadable": []}
    for record in scan.records:
        if record.label_problem is not None:
            kind, message = record.label_problem
            problems[kind].append(f"{record.file}: {message}")
    names = duplicate_groups(scan.records, "name")
    contents = duplicate_groups(scan.records, "content")
    summary: dict[str, Any] = {
        "kind": scan.kind,
        "decoded": scan.decoded,
        "num_classes": len(scan.classes),
        "images": len(scan.records),
        "unreadable": len(unreadable),
        "unreadable_files": [f"{r.file}: {r.error}" for r in unreadable[:limit]],
        "label_problems": {kind: len(found) for kind, found in problems.items()},
        "label_problem_files": {kind: found[:limit] for kind, found in problems.items()},
        "duplicate_names": sum(len(g) - 1 for g in names),
        "duplicate_name_groups": names[:limit],
        "duplicate_contents": sum(len(g) - 1 for g in contents),
        "duplicate_content_groups": contents[:limit],
        **_orientation_counts(scan, limit),
        "split_file": scan.split_file,  # voc, voc_seg
        "missing_listed": dict(scan.missing_listed),
    }
    if scan.kind == "detection":
        summary.update(_detection_counts(scan, limit))
    else:
        summary.update(_segmentation_counts(scan, limit))
    return summary


def split_overlap(first: SplitScan, second: SplitScan, limit: int = 5) -> dict[str, Any]:
    """Files of ``second`` whose bytes or file name also occur in ``first``.

    Returns:
        ``same_content`` (files of ``second`` identical to a file of ``first``) with
        ``same_content_files`` (``"second file = first file"``), and ``same_name`` (files of
        ``second`` whose name occurs in ``first`` with other contents; a missing file is
        not among them) with examples.
    """
    by_digest = {r.digest: r.file for r in first.records if r.digest is not None}
    digests_by_name: dict[str, set[str | None]] = defaultdict(set)
    for record in first.records:
        digests_by_name[record.path.name].add(record.digest)
    same_content = [
        (r, by_digest[r.digest])
        for r in second.records
        if r.digest is not None and r.digest in by_digest
    ]
    same_name = [  # a missing or empty file has no contents to compare (it is unreadable)
        r
        for r in second.records
        if r.digest is not None
        and r.path.name in digests_by_name
        and r.digest not in digests_by_name[r.path.name]
    ]
    return {
        "same_content": len(same_content),
        "same_content_files": [f"{r.file} = {other}" for r, other in same_content][:limit],
        "same_name": len(same_name),
        "same_name_files": _files(same_name, limit),
    }
