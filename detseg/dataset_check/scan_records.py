"""What a scan keeps: the facts of each image of a split, and of the split as a whole.

:class:`ImageRecord` (one image: file, size, orientation, hash, raw annotations and what the
training checks would do with them, or its label map's pixel counts) and :class:`SplitScan`
(every record of a split, with what the dataset's reader left out). The scan
(:mod:`~detseg.dataset_check.scan`) fills them; the counts
(:mod:`~detseg.dataset_check.stats`) and the report's images
(:mod:`~detseg.dataset_check.gallery`) read them. Separate from the scan so that the readers of
the records do not depend on how the files are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from detseg.data.base import ImageDataset
from detseg.data.label_maps import is_void_only
from detseg.data.seg_transforms import IGNORE_INDEX
from detseg.dataset_check.box_flags import BoxFlags

__all__ = ["ImageRecord", "LabelProblem", "SplitScan"]

#: Kind of a label problem: ``"unreadable"`` (training skips the image) or ``"invalid"``
#: (training stops with an error when it reaches the image).
LabelProblem = Literal["unreadable", "invalid"]


@dataclass
class ImageRecord:
    """The facts of one image of a split.

    Attributes:
        index: Position in the dataset.
        path: The image file.
        file: The file as shown in reports (relative to the data root when under it).
        size: ``(H, W)`` training reads the image at: the file header's, transposed when the
            image is read as displayed (``displayed``); ``None`` when unreadable.
        stated_size: ``(H, W)`` the annotations state (a COCO image entry's ``height`` and
            ``width``, a VOC ``<size>``); ``None`` when they state none.
        orientation: The file's EXIF orientation ``1..8`` (``1`` for an upright or untagged
            JPEG and for other files).
        displayed: Whether training reads the image as displayed, not as stored: the
            dataset's :meth:`~detseg.data.base.ImageDataset.reads_as_displayed` (every tagged
            image of a YOLO dataset; elsewhere an orientation that swaps width and height
            whose labels state the displayed size).
        error: Why the image is unreadable (missing, not an image, corrupt); ``None`` if fine.
        digest: Hash of the file's bytes; ``None`` when the file is missing or empty.
        labels: ``Int64[N]`` labels ``1..K`` of the raw annotations (detection).
        boxes: ``Float64[N, 4]`` raw boxes, ``xyxy`` absolute pixels (detection).
        flags: What the training box checks would do with each box (detection).
        crowd: ``Bool[N]``: the crowd regions among the raw annotations (``iscrowd`` other
            than 0, the ones :func:`~detseg.data.target_checks.remove_crowd` removes);
            training learns them neither as objects nor as background (detection).
        bad_masks: ``Bool[N]``: instances whose boxes the box checks keep but whose mask is
            empty or lies mostly outside the box; training drops them (detection with
            ``load_masks``, :func:`~detseg.data.target_checks.check_masks`).
        rejected: Annotations the reader rejected before the box checks (malformed line,
            unknown class id).
        class_pixels: ``Int64[K + 1]`` pixel count of each label map value ``0..K``
            (segmentation; ``None`` for detection or without a valid label map).
        ignore_pixels: Pixels with the ignore value 255 (segmentation).
        label_problem: ``(kind, message)`` when the annotations or label map cannot be used.
    """

    index: int
    path: Path
    file: str
    size: tuple[int, int] | None = None
    stated_size: tuple[int, int] | None = None
    orientation: int = 1
    displayed: bool = False
    error: str | None = None
    digest: str | None = None
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    flags: BoxFlags | None = None
    crowd: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    bad_masks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    rejected: int = 0
    class_pixels: np.ndarray | None = None
    ignore_pixels: int = 0
    label_problem: tuple[LabelProblem, str] | None = None

    @property
    def readable(self) -> bool:
        """Whether the image file is present and readable."""
        return self.error is None

    @property
    def kept(self) -> np.ndarray:
        """``Bool[N]``: the annotations training learns as objects: neither dropped by its
        box checks (or mask checks) nor crowd regions (all false without box flags)."""
        if self.flags is None:
            return np.zeros(len(self.labels), dtype=bool)
        kept = ~self.flags.dropped & ~self.crowd
        return kept & ~self.bad_masks if len(self.bad_masks) else kept

    @property
    def void_only(self) -> bool:
        """Whether the label map holds only background (``0``) and ignored (``255``) pixels:
        a binary mask with its foreground stored as 255 (training warns about it,
        :func:`~detseg.data.label_maps.is_void_only`); false without a valid label map."""
        if self.class_pixels is None:
            return False
        values = np.flatnonzero(self.class_pixels)
        if self.ignore_pixels:
            values = np.append(values, IGNORE_INDEX)
        return is_void_only(values, len(self.class_pixels) - 1)


@dataclass
class SplitScan:
    """The records of one split and what describes the dataset as a whole.

    Attributes:
        split: ``"train"`` or ``"val"``.
        kind: ``"detection"`` or ``"segmentation"``.
        classes: Foreground class names (label ``k`` is ``classes[k - 1]``).
        records: One record per image, in dataset order.
        dataset: The scanned dataset (used to draw the report's images).
        decoded: Whether every image was fully decoded (not only its header read).
        orphan_annotations: Annotations the reader skipped because their image is not in the
            dataset (a COCO ``image_id`` absent from ``images``), with ``orphan_image_ids``,
            the first few such ids.
        unreadable_annotation_files: ``"<file>: <reason>"`` of each annotation file the
            reader could not read and whose image it left out (a VOC xml that is not
            well-formed; a missing one is an error of the reader).
        unmatched_label_files: Label files that belong to no image of the split (a YOLO
            ``<stem>.txt`` without an image of that stem), relative to the data root.
        unpaired_images: Images the reader left out for want of a label map (segmentation
            folders), relative to the data root.
        unmatched_label_maps: Label maps the reader left out for want of an image of their
            stem (``folder_seg``), relative to the data root.
        nested_images: Images in folders inside a ``folder_seg`` images folder, which the
            reader does not read (it reads the folder itself), relative to the data root.
        rejected_annotations: Annotations a segmentation reader left out of every label map
            (``coco_seg``: a ``category_id`` not among the categories, an instance with neither
            a ``segmentation`` nor a usable ``bbox``); a detection split counts them per image
            (:attr:`ImageRecord.rejected`).
        misnumbered_annotations: ``"annotations[i] (id X)"`` of each COCO annotation with an
            id of 0, none, or an earlier annotation's
            (:func:`~detseg.data.coco_json.misnumbered_annotations`).
        unread_image_files: Files of an image type (one Pillow knows) in a YOLO images folder
            that training does not list (``detseg.data.image_io.IMAGE_SUFFIXES``: a ``.gif``),
            relative to the data root.
        split_file: The split file whose ids the split reads (``voc``, ``voc_seg``), relative
            to the data root; ``None`` for the other formats.
        missing_listed: How many ids of ``split_file`` have no image (``"image"``) and how
            many no label map (``"label map"``, ``voc_seg``): the findings about unreadable
            images and label maps say where those ids come from.
    """

    split: str
    kind: Literal["detection", "segmentation"]
    classes: list[str]
    records: list[ImageRecord]
    dataset: ImageDataset
    decoded: bool
    orphan_annotations: int = 0
    orphan_image_ids: list[int] = field(default_factory=list)
    unreadable_annotation_files: list[str] = field(default_factory=list)
    unmatched_label_files: list[str] = field(default_factory=list)
    unpaired_images: list[str] = field(default_factory=list)
    unmatched_label_maps: list[str] = field(default_factory=list)
    nested_images: list[str] = field(default_factory=list)
    rejected_annotations: int = 0
    unread_image_files: list[str] = field(default_factory=list)
    misnumbered_annotations: list[str] = field(default_factory=list)
    split_file: str | None = None
    missing_listed: dict[str, int] = field(default_factory=dict)
