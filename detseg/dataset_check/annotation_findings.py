"""The findings about the annotations of a detection split, and about sizes they state.

Boxes outside the image (clipped) or degenerate (dropped), annotations the reader rejected,
instances whose mask training drops, crowd regions, annotations of an image the dataset does not
list, annotation files the reader could not read, label files of no image, image files of a
type training does not read, COCO annotation ids the evaluation cannot index by, and stated
image sizes that differ from the files (this last one, the absent images and the rejected
annotations for segmentation too). Separate from :mod:`~detseg.dataset_check.findings`, which
judges the images, the content and the duplicates of a split and gathers every finding of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from detseg.data.image_io import IMAGE_SUFFIXES
from detseg.dataset_check.finding_record import Finding, counted_warning, plural, them

__all__ = [
    "box_findings",
    "orphan_findings",
    "rejected_findings",
    "size_mismatch_findings",
]


def box_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Boxes outside the image, degenerate boxes, rejected annotations (detection)."""
    found = []
    if s["outside_boxes"]:
        dropped = s["outside_dropped"]
        message = f"{plural(s['outside_boxes'], 'box', 'reach')} outside the image: training "
        message += f"clips {them(s['outside_boxes'])}" + (
            f" ({dropped} wholly outside: dropped)" if dropped else ""
        )
        found.append(
            Finding(
                "warning", "outside_boxes", split, message, s["outside_boxes"], s["outside_files"]
            )
        )
    if s["degenerate_boxes"]:
        message = (
            f"{plural(s['degenerate_boxes'], 'degenerate box')} (zero or negative size, under "
            f"1 px, or not finite): training drops {them(s['degenerate_boxes'])}"
        )
        found.append(
            Finding(
                "warning",
                "degenerate_boxes",
                split,
                message,
                s["degenerate_boxes"],
                s["degenerate_files"],
            )
        )
    found += rejected_findings(split, s)
    found += counted_warning(
        split,
        s,
        "bad_masks",
        "bad_mask_files",
        lambda n: (
            f"{plural(n, 'instance')} whose mask is empty or lies mostly outside its box: "
            f"training drops {them(n)} (the log above names each)"
        ),
    )
    found += _emptied_findings(split, s)
    found += _crowd_findings(split, s)
    found += orphan_findings(split, s)
    found += _unreadable_annotation_findings(split, s)
    found += _unmatched_label_findings(split, s)
    found += _unread_image_findings(split, s)
    found += _misnumbered_findings(split, s)
    found += size_mismatch_findings(split, s)
    return found


def rejected_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Annotations the reader rejected: per image for detection (a malformed line or bbox,
    an unknown class id, a repeated YOLO line), for the whole file for ``coco_seg`` (an
    unknown ``category_id``, an instance with neither a segmentation nor a usable bbox)."""
    count = s.get("rejected_annotations", 0)
    if not count:
        return []
    if s["kind"] == "detection":
        why = "a malformed line or bbox, an unknown class id, a repeated YOLO line"
    else:
        why = (
            "an unknown category_id, an instance with neither a segmentation nor a usable bbox: "
            f"the label maps leave {them(count)} out"
        )
    message = (
        f"{plural(count, 'annotation')} rejected by the reader ({why}); the log above names each"
    )
    files = s.get("rejected_files", [])
    return [Finding("warning", "rejected_annotations", split, message, count, files)]


def _emptied_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Images left without objects only by rejected or dropped annotations: what was drawn
    there becomes background (train) or a false positive (val), not a missing label."""
    use = (
        "trained as negatives, so their objects are learnt as background"
        if split == "train"
        else "scored as images without objects, so detections of their objects are false positives"
    )
    return counted_warning(
        split,
        s,
        "emptied_images",
        "emptied_files",
        lambda n: (
            f"{plural(n, 'image')} without objects only because the reader rejected or the box "
            f"checks dropped every annotation of {'it' if n == 1 else 'them'}: {use}; fix "
            f"{'its' if n == 1 else 'their'} annotations (the log above names each)"
        ),
    )


def orphan_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Annotations of an image the dataset does not list (a COCO ``image_id`` not in images;
    detection and ``coco_seg``)."""
    count = s.get("orphan_annotations", 0)
    if not count:
        return []
    ids = ", ".join(str(i) for i in s.get("orphan_image_ids", []))
    message = (
        f"{plural(count, 'annotation', 'name')} an image_id absent from the images of the "
        f"annotation file (e.g. image_id {ids}): training and evaluation skip {them(count)}; "
        "fix the image_id or list the image"
    )
    return [Finding("warning", "orphan_annotations", split, message, count)]


def _unreadable_annotation_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Annotation files the reader could not read (a VOC xml that is not well-formed; a
    missing one stops the reader with an error naming it). Their images are not in the split's
    counts: the reader leaves them out."""
    return counted_warning(
        split,
        s,
        "unreadable_annotation_files",
        "unreadable_annotation_examples",
        lambda n: (
            f"{plural(n, 'annotation file')} unreadable: training and evaluation leave "
            f"{'its image' if n == 1 else 'their images'} out and the counts above do not "
            f"include {them(n)}; fix the {'file' if n == 1 else 'files'}, or remove "
            f"{'its id' if n == 1 else 'their ids'} from the split file"
        ),
    )


def _unmatched_label_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Label files of no image (a YOLO ``<stem>.txt`` without an image of that stem)."""
    return counted_warning(
        split,
        s,
        "unmatched_label_files",
        "unmatched_label_examples",
        lambda n: (
            f"{plural(n, 'label file')} of no image (no image with the same stem, or a "
            f"suffix other than lower-case .txt): training does not read {them(n)}; rename "
            f"{them(n)} after {'its image' if n == 1 else 'their images'} or add the images"
        ),
    )


def _unread_image_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Image files in a YOLO images folder of a type training does not list (a ``.gif``)."""
    return counted_warning(
        split,
        s,
        "unread_image_files",
        "unread_image_examples",
        lambda n: (
            f"{plural(n, 'image file')} of a type YOLO training does not read (it reads "
            f"{', '.join(IMAGE_SUFFIXES)}): {them(n)} and {'its' if n == 1 else 'their'} "
            f"labels are left out; save {them(n)} as one of those types"
        ),
    )


def _misnumbered_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """COCO annotations with an id of 0, none, one that is not a positive integer, or an
    earlier annotation's: the evaluation libraries index the ground truth by id, so the
    evaluation renumbers it."""
    return counted_warning(
        split,
        s,
        "misnumbered_annotations",
        "misnumbered_annotation_examples",
        lambda n: (
            f"{plural(n, 'annotation')} with an id of 0, no id, an id that is not a positive "
            "integer, or the id of an earlier annotation: evaluation indexes the ground truth "
            "by id, so it renumbers the annotations 1..N (with a warning); give every "
            "annotation a unique id from 1"
        ),
    )


def size_mismatch_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Images whose size in the annotations (COCO ``width`` / ``height``, VOC ``<size>``) is
    not the one training reads the file at."""
    return counted_warning(
        split,
        s,
        "size_mismatches",
        "size_mismatch_examples",
        lambda n: (
            f"{plural(n, 'image')} whose size in the annotations differs from the file: "
            "training uses the file's size, but tools that trust the annotations (a COCO "
            "evaluation of polygon masks, other frameworks) do not; correct the width and height"
        ),
    )


def _crowd_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Crowd regions (COCO ``iscrowd: 1``): not objects to training, so not in the counts."""
    count = s.get("crowd_annotations", 0)
    if not count:
        return []
    message = (
        f"{plural(count, 'crowd annotation')} (iscrowd set): training ignores "
        f"{them(count)} (neither object nor background) and evaluation does not score "
        f"detections on {them(count)}; the object, class, empty-image and box-size counts "
        f"leave {them(count)} out"
    )
    return [Finding("info", "crowd_annotations", split, message, count, s.get("crowd_files", []))]
