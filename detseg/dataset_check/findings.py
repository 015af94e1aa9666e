"""The checks: which counts of :mod:`detseg.dataset_check.stats` are problems, and how bad.

Three severities:

* ``error``: training would stop or learn nothing useful: a split without images, every image
  of a split unreadable, no classes, no object that training keeps (boxes its checks drop do
  not count; segmentation: no foreground pixel) in ``train``, annotations or label maps the
  reader cannot use (training raises when it reaches them).
* ``warning``: training runs but not on what the data says: some unreadable images (skipped),
  boxes outside the image (clipped) or degenerate (dropped), instances whose mask training
  drops (``load_masks``: empty, or mostly outside the box), annotations the reader rejected
  (those naming an image the annotation file does not list among them),
  classes without a single object in ``train``, no object in ``val``, more empty images than
  ``CheckSettings.empty_share``, duplicate files in a split, the same file in two splits,
  label maps of only 0 and 255 (a binary mask whose foreground was saved as the ignore value),
  files a ``folder_seg`` reader does not read (label maps without an image, images in folders
  inside the images folder).
* ``info``: worth knowing, often intended: a few empty images (negatives), classes without
  an object in ``val``, file names that occur in two splits with different contents (files
  numbered per split), crowd annotations (COCO ``iscrowd``: training ignores them, so no count
  of objects includes them), JPEGs read as displayed by their EXIF orientation (a YOLO
  dataset's, or labels that state the displayed size) or tagged as rotated or mirrored but
  read as stored.

A box counts as outside when it reaches more than
:data:`~detseg.dataset_check.box_flags.OUTSIDE_TOLERANCE` px beyond the image.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from detseg.data.voc_seg_split import listed_missing_note
from detseg.dataset_check.annotation_findings import (
    box_findings,
    orphan_findings,
    rejected_findings,
    size_mismatch_findings,
)
from detseg.dataset_check.finding_record import (
    CheckSettings,
    Finding,
    Severity,
    counted_warning,
    plural,
    them,
)

__all__ = ["overlap_findings", "split_findings"]


def _image_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Missing / unreadable images and unusable annotations."""
    found = []
    images, unreadable = s["images"], s["unreadable"]
    files = s["unreadable_files"]
    if images == 0:
        found.append(Finding("error", "no_images", split, f"the {split} split has no images"))
    elif unreadable == images:
        message = f"all {images} images are missing or unreadable (e.g. {files[0]})"
        found.append(Finding("error", "all_unreadable", split, message, unreadable, files))
    elif unreadable:
        message = (
            f"{plural(unreadable, 'image')} of {images} missing or unreadable; "
            f"training skips {them(unreadable)}{_listed_missing(s, 'image')}"
        )
        found.append(Finding("warning", "unreadable_images", split, message, unreadable, files))
    problems, problem_files = s["label_problems"], s["label_problem_files"]
    invalid, unreadable_labels = problems["invalid"], problems["unreadable"]
    what = "annotations" if s["kind"] == "detection" else "label maps"
    if invalid:
        message = (
            f"{plural(invalid, 'image')} with invalid {what}: training stops with an error "
            f"when it reaches {them(invalid)}"
        )
        files = problem_files["invalid"]
        found.append(Finding("error", "invalid_labels", split, message, invalid, files))
    if unreadable_labels:
        message = (
            f"{plural(unreadable_labels, 'image')} with a missing or unreadable label map; "
            f"training skips {them(unreadable_labels)}{_listed_missing(s, 'label map')}"
        )
        files = problem_files["unreadable"]
        found.append(
            Finding("warning", "unreadable_labels", split, message, unreadable_labels, files)
        )
    found += _unpaired_image_findings(split, s)
    found += _folder_leftover_findings(split, s)
    found += _orientation_findings(split, s)
    return found


def _listed_missing(s: Mapping[str, Any], what: str) -> str:
    """``"; 1 missing image file is named by the split file ...: remove its id ..."``, for a
    ``voc`` or ``voc_seg`` split whose split file names ids without their ``what`` file; else
    ``""``."""
    count = s.get("missing_listed", {}).get(what, 0)
    if not count or not s.get("split_file"):
        return ""
    return f"; {listed_missing_note(count, s['split_file'], what)}"


def _orientation_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """JPEGs whose EXIF orientation training applies, and tagged JPEGs it reads as stored."""
    found = []
    displayed = s.get("displayed_images", 0)
    if displayed:
        message = (
            f"{plural(displayed, 'JPEG')} tagged with an EXIF orientation whose labels refer "
            "to the displayed image (YOLO labels, or a stated size that is the stored one "
            f"transposed): training reads {them(displayed)} as displayed, and the checks and "
            "drawings here do too"
        )
        files = s.get("displayed_examples", [])
        found.append(Finding("info", "displayed_images", split, message, displayed, files))
    stored = s.get("stored_orientation_images", 0)
    if stored:
        message = (
            f"{plural(stored, 'JPEG')} tagged as rotated or mirrored by EXIF orientation, read "
            "as stored (a COCO entry, VOC <size> or label map that does not state the "
            "displayed size, a square image, or a mirror or half turn, which keep the size): "
            "the labels must refer to the stored pixels; if they were drawn on the photo as "
            "viewers show it, apply PIL.ImageOps.exif_transpose to the files"
        )
        files = s.get("stored_orientation_examples", [])
        found.append(Finding("info", "stored_orientation_images", split, message, stored, files))
    return found


def _unpaired_image_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Images the reader left out for want of a label map (segmentation folders)."""
    return counted_warning(
        split,
        s,
        "unpaired_images",
        "unpaired_image_examples",
        lambda n: (
            f"{plural(n, 'image')} without a label map of the same stem: training leaves "
            f"{them(n)} out and the counts above do not include {them(n)}; add the label "
            "maps, or check data.mask_suffix"
        ),
    )


def _folder_leftover_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """Files of a ``folder_seg`` split the reader does not read: label maps without an image of
    their stem, images in folders inside the images folder."""
    found = counted_warning(
        split,
        s,
        "unmatched_label_maps",
        "unmatched_label_map_examples",
        lambda n: (
            f"{plural(n, 'label map')} without an image of the same stem (its image is "
            "missing, has another stem, or a suffix not read as an image): training does not "
            f"read {them(n)}; add or rename {'its image' if n == 1 else 'their images'}, or "
            f"remove {them(n)}"
        ),
    )
    found += counted_warning(
        split,
        s,
        "nested_images",
        "nested_image_examples",
        lambda n: (
            f"{plural(n, 'image')} in folders inside the images folder: folder_seg reads "
            f"images_dir itself, so training leaves {them(n)} out and the counts above do not "
            f"include {them(n)}; move {them(n)} up or point data.train_images / "
            "data.val_images at the subfolder"
        ),
    )
    return found


def _content_findings(split: str, s: Mapping[str, Any], settings: CheckSettings) -> list[Finding]:
    """Classes, objects / foreground and empty images."""
    found: list[Finding] = []
    readable = s["images"] - s["unreadable"]
    if s["num_classes"] == 0:
        found.append(Finding("error", "no_classes", split, "the dataset defines no classes"))
    detection = s["kind"] == "detection"
    # detection: the objects training keeps; boxes its checks drop (degenerate) do not count
    kept = s.get("kept_objects", s["objects"]) if detection else s["foreground_pixels"]
    has_content = kept > 0
    if readable and not has_content:
        what = "object" if detection else "foreground pixel"
        use = "nothing to learn from" if split == "train" else "nothing to evaluate"
        severity: Severity = "error" if split == "train" else "warning"
        message = f"not a single {what} in the {split} split: {use}"
        if detection and s["objects"]:
            message += f" ({_no_kept_object_reason(s)})"
        if not detection and s["ignore_pixels"]:
            message += (
                f" ({plural(s['ignore_pixels'], 'pixel', 'hold')} 255, the ignore value: if "
                "the label maps are binary masks, store their foreground as 1, not 255)"
            )
        found.append(Finding(severity, "no_objects", split, message, readable))
    counts = s["classes"] if detection else s["class_pixels"]
    key = "objects" if detection else "pixels"
    missing = [name for name, c in counts.items() if c[key] == 0 and name != "background"]
    if has_content and missing:
        # train: the model never sees the class; val: the class has no AP / IoU to report
        severity = "warning" if split == "train" else "info"
        message = f"{plural(len(missing), 'class')} without a single {key[:-1]} in {split}"
        if detection and split == "train":  # an unused category (a Roboflow supercategory)
            them = "it" if len(missing) == 1 else "them"
            message += (
                f" (never learned: add objects, or, for COCO and VOC names, leave {them} out of "
                "data.classes)"
            )
        message += ": " + ", ".join(missing[: settings.max_files])
        found.append(Finding(severity, "classes_without_objects", split, message, len(missing)))
    empty = s["empty_images"]
    if empty and has_content:
        share = empty / max(readable, 1)
        severity = "warning" if share > settings.empty_share else "info"
        what = "objects" if detection else "foreground"
        if split == "train":
            use = "trained as negatives"
        elif detection:
            use = "any detection on them is a false positive"
        else:
            use = "any foreground predicted on them lowers its class's IoU"

        message = f"{plural(empty, 'image')} ({share:.0%}) without {what}; {use}"
        found.append(Finding(severity, "empty_images", split, message, empty, s["empty_files"]))
    if not detection and s.get("void_only_images", 0):
        found.append(_void_only_finding(split, s))
    return found


def _void_only_finding(split: str, s: Mapping[str, Any]) -> Finding:
    """Label maps of only background (0) and ignored (255) pixels: binary masks whose
    foreground was saved as 255, which training ignores (it warns when it reads one)."""
    n, files = s["void_only_images"], s["void_only_files"]
    message = (
        f"{plural(n, 'image')} whose label map holds only 0 and 255 (e.g. {', '.join(files)}): "
        f"if {'they are binary masks' if n > 1 else 'it is a binary mask'}, store the "
        "foreground as 1 (class 1); 255 means ignore, so training learns background alone there"
    )
    return Finding("warning", "foreground_255", split, message, n, files)


def _no_kept_object_reason(s: Mapping[str, Any]) -> str:
    """Why annotations are there but no object is: ``"2 boxes in all, every one dropped by
    training's box checks"``, ``"3 boxes in all: 3 crowd regions, which training ignores"``."""
    crowd = s.get("crowd_annotations", 0)
    reason = f"{plural(s['objects'], 'box')} in all"
    checks = "box and mask checks" if s.get("bad_masks", 0) else "box checks"
    if not crowd:
        return f"{reason}, every one dropped by training's {checks}"
    reason += f": {plural(crowd, 'crowd region')}, which training ignores"
    others = s["objects"] - crowd
    if others:
        reason += f", and {others} dropped by training's {checks}"
    return reason


def _content_group(files: list[str]) -> str:
    """``"a.png = b.png"``; a file listed more than once as ``"a.png (listed 2 times)"``."""
    shown = []
    for file in dict.fromkeys(files):
        times = files.count(file)
        shown.append(f"{file} (listed {times} times)" if times > 1 else file)
    return " = ".join(shown)


def _duplicate_findings(split: str, s: Mapping[str, Any]) -> list[Finding]:
    """The same file name in two folders, the same bytes twice."""
    found = []
    if s["duplicate_contents"]:
        files = [_content_group(g) for g in s["duplicate_content_groups"]]
        message = (
            f"{plural(s['duplicate_contents'], 'file', 'repeat')} another file's contents (or "
            "the same file is listed again): training sees those images more than once"
        )
        found.append(
            Finding("warning", "duplicate_contents", split, message, s["duplicate_contents"], files)
        )
    if s["duplicate_names"]:
        files = [", ".join(g) for g in s["duplicate_name_groups"]]
        message = f"{plural(s['duplicate_names'], 'file', 'share')} a file name with a file in "
        message += "another folder"
        found.append(
            Finding("warning", "duplicate_names", split, message, s["duplicate_names"], files)
        )
    return found


def split_findings(
    split: str, summary: Mapping[str, Any], settings: CheckSettings | None = None
) -> list[Finding]:
    """The findings of one split from its :func:`~detseg.dataset_check.stats.split_summary`."""
    settings = settings or CheckSettings()
    found = _image_findings(split, summary)
    if summary["images"] > summary["unreadable"]:
        if summary["kind"] == "detection":
            found += box_findings(split, summary)  # with the size mismatches
        else:
            found += size_mismatch_findings(split, summary) + orphan_findings(split, summary)
            found += rejected_findings(split, summary)
        found += _content_findings(split, summary, settings)
    found += _duplicate_findings(split, summary)
    return found


def overlap_findings(first: str, second: str, overlap: Mapping[str, Any]) -> list[Finding]:
    """The findings of :func:`~detseg.dataset_check.stats.split_overlap` of two splits."""
    found = []
    pair = f"{first}/{second}"
    if overlap["same_content"]:
        message = (
            f"{plural(overlap['same_content'], 'file')} of {second} also in {first} "
            "(same contents): the validation numbers overstate the model"
        )
        found.append(
            Finding(
                "warning",
                "split_overlap",
                pair,
                message,
                overlap["same_content"],
                overlap["same_content_files"],
            )
        )
    if overlap["same_name"]:
        message = (
            f"{plural(overlap['same_name'], 'file name')} of {second} also in {first} with "
            "other contents (usual when files are numbered per split)"
        )
        found.append(
            Finding(
                "info",
                "shared_names",
                pair,
                message,
                overlap["same_name"],
                overlap["same_name_files"],
            )
        )
    return found
