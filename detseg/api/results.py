"""What :class:`~detseg.api.predictor.Predictor` returns for one image: detections or a label map.

Both results keep the image they were made from (``uint8 [H, W, 3]`` RGB), its file (or
``None``) and the model's class names, so they can be drawn (``plot``), written (``save``) and
read (``names``) without the model. Tensors are on the CPU. A result of a video frame also
has the frame's index and time. The detections of a model with instance masks (Mask R-CNN)
carry them too, binarised with the model's ``mask_threshold``.
"""

from __future__ import annotations

import numbers
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from detseg.argument_checks import whole_ids
from detseg.brief_values import brief
from detseg.evaluation.coco_format import masks_to_rles, predictions_to_coco_results
from detseg.visualize import (
    draw_detections,
    draw_segmentation,
    png_bytes,
    save_label_map,
    save_rgb,
)

__all__ = ["DetectionResult", "SegmentationResult"]


@dataclass(repr=False, eq=False)
class DetectionResult:
    """The detections of one image.

    Results compare by identity and are hashable, as Python objects are by default: tensors
    have no single truth value, so a field-by-field ``==`` would fail inside
    ``results.index(result)``, ``result in results`` or ``results.remove(result)``. Compare
    fields to compare detections (``torch.equal(a.boxes, b.boxes)``).

    Attributes:
        boxes: ``Float[N, 4]`` xyxy absolute pixels of the input image.
        scores: ``Float[N]``, highest first as the model returns them.
        labels: ``Int64[N]`` in ``1..K``.
        classes: the model's ``K`` class names (label ``k`` is ``classes[k - 1]``).
        image: the input image, ``uint8 [H, W, 3]`` RGB.
        path: the image file, or the video file of a frame; ``None`` for an array, a tensor,
            or a frame of a camera or a stream.
        category_ids: the dataset's category id of each label ``1..K`` (COCO ids), used by
            :meth:`to_coco`.
        frame: index of the video frame (from 0), or ``None``.
        time: seconds from the start of the video (a camera or a stream: since it was
            opened), or ``None``.
        masks: ``Bool[N, H, W]`` instance masks in the input image's pixels (the model's
            probabilities above its ``mask_threshold``), or ``None`` for a detector without
            masks.
        mask_probabilities: ``Float[N, H, W]`` the model's foreground probability of each
            pixel, or ``None`` (a detector without masks, or a result made with
            ``mask_probabilities=False``, the default of ``Predictor.stream``: it keeps only
            :attr:`masks`).
        index: the image's position among the results of the ``predict`` or ``stream``
            call that made it, from 0 (the images and each video's frames in input order),
            or ``None`` for a result made by hand; :meth:`to_coco` numbers images by it.
    """

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    image: np.ndarray
    path: Path | None = None
    category_ids: list[int] | None = None
    frame: int | None = None
    time: float | None = None
    masks: torch.Tensor | None = None
    mask_probabilities: torch.Tensor | None = None
    index: int | None = None

    def __len__(self) -> int:
        return len(self.boxes)

    def __getitem__(self, index: Any) -> DetectionResult:
        """The detections at ``index`` as a new result of the same image: an int, a slice, a
        list or tensor of indices, or a boolean mask over the ``N`` detections, e.g.
        ``result[result.scores > 0.5]``; ``result[0]`` is a result with the best detection.

        Raises:
            IndexError: an index out of range, or a mask whose length is not ``N``.
            TypeError: an index of another kind: a string (the fields are attributes:
                ``result.boxes``), a float, a list of them, a dict or a set.
        """
        given = index
        if isinstance(index, (list, tuple, np.ndarray)):
            index = np.asarray(index, dtype=None if len(index) else np.int64)
        if isinstance(index, np.ndarray) and index.dtype.kind in "biu":
            index = torch.as_tensor(index)
        if not _detection_index(index):
            raise TypeError(
                f"cannot index the detections with {given!r}: give an int, a slice, a list or "
                "tensor of ints, or a boolean mask of one value per detection (the fields are "
                "attributes: result.boxes, result.scores, result.labels ...)"
            )
        if isinstance(index, torch.Tensor) and index.dtype == torch.bool and index.dim():
            if tuple(index.shape) != (len(self),):
                raise IndexError(
                    f"a boolean mask of shape {tuple(index.shape)} for {len(self)} detections; "
                    f"give one value per detection, e.g. result[result.scores > 0.5]"
                )
        rows = torch.arange(len(self))[index].reshape(-1)
        return replace(
            self,
            boxes=self.boxes[rows],
            scores=self.scores[rows],
            labels=self.labels[rows],
            masks=None if self.masks is None else self.masks[rows],
            mask_probabilities=(
                None if self.mask_probabilities is None else self.mask_probabilities[rows]
            ),
        )

    @property
    def names(self) -> list[str]:
        """The class name of each box."""
        return [_class_name(self.classes, int(k)) for k in self.labels]

    @property
    def mask_areas(self) -> torch.Tensor | None:
        """``Int64[N]`` pixels of each mask, or ``None`` without masks."""
        return None if self.masks is None else self.masks.flatten(1).sum(1)

    def plot(self) -> np.ndarray:
        """The image with each box, its class name and score drawn over its mask (translucent
        in the class colour, outlined in it), when there are masks: ``uint8 [H, W, 3]`` RGB."""
        return draw_detections(
            self.image, self.boxes, self.labels, self.scores, self.classes, masks=self.masks
        )

    def _repr_png_(self) -> bytes:
        """:meth:`plot` as PNG: a notebook (Jupyter, VS Code) shows a result as its drawing."""
        return png_bytes(self.plot())

    def save(self, path: str | os.PathLike) -> None:
        """Write :meth:`plot` to ``path`` (the format follows the extension: .png, .jpg ...).

        Raises:
            TypeError: ``path`` is no ``str`` or ``os.PathLike``.
            ValueError: ``path`` has no extension (and is no folder) or one OpenCV cannot write.
        """
        save_rgb(_image_file(path), self.plot())

    def to_coco(
        self, image_id: int | None = None, category_ids: Sequence[int] | None = None
    ) -> list[dict[str, Any]]:
        """The detections in the COCO results format.

        ``[r.to_coco() for r in predictor.predict(images)]`` numbers the images ``1, 2, ...``
        in input order, as ``tools/infer.py``'s ``predictions.json`` does; results of
        separate calls each start at 1, so give the ids (the ground truth's ``images[].id``)
        when joining them: pycocotools would merge the images of one id silently.

        Args:
            image_id: the ``image_id`` of every record, a whole number (COCO image ids are
                integers); default: :attr:`index` + 1, the image's position in its call
                (1 for a result made by hand).
            category_ids: the category id of each label ``1..K``; default: the checkpoint's
                dataset ids (:attr:`category_ids`), else the labels themselves.

        Returns:
            One dict per box: ``image_id``, ``category_id``, ``bbox`` ``[x, y, w, h]`` pixels,
            ``score``; with masks also ``segmentation``, the mask as compressed RLE
            (``{"size": [H, W], "counts": str}``, ``pycocotools.mask.decode`` reads it).

        Raises:
            ValueError: ``image_id`` is no whole number, ``category_ids`` is no list of whole
                numbers or has another length than :attr:`classes` (one id per class), or a
                label outside ``1..len(category_ids)``.
        """
        image_id = _coco_image_id(image_id, self.index)
        ids = self.category_ids if category_ids is None else _given_ids(category_ids, self.classes)
        prediction = {"boxes": self.boxes, "scores": self.scores, "labels": self.labels}
        if self.masks is not None:
            prediction["masks"] = self.masks
        return predictions_to_coco_results([image_id], [prediction], ids)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: ``boxes`` (xyxy px), ``scores``, ``labels`` and ``names``; with
        masks also ``mask_areas`` (pixels of each mask)."""
        found: dict[str, Any] = {
            "boxes": [[round(float(v), 2) for v in box] for box in self.boxes.tolist()],
            "scores": [round(float(s), 4) for s in self.scores.tolist()],
            "labels": [int(k) for k in self.labels.tolist()],
            "names": self.names,
        }
        areas = self.mask_areas
        if areas is not None:
            found["mask_areas"] = [int(a) for a in areas.tolist()]
        return found

    def __repr__(self) -> str:
        counts = Counter(self.names).most_common()
        found = ", ".join(f"{n} {name}" for name, n in counts)
        noun = "box" if len(self) == 1 else "boxes"
        noun += " with masks" if self.masks is not None else ""
        where = f", {self.path.name}" if self.path is not None else ""
        frame = f", frame {self.frame}" if self.frame is not None else ""
        return f"DetectionResult({len(self)} {noun}{': ' + found if found else ''}{where}{frame})"


@dataclass(repr=False, eq=False)
class SegmentationResult:
    """The label map of one image (compared by identity, as :class:`DetectionResult`).

    Attributes:
        mask: ``Int64[H, W]`` class index of each pixel (``0`` background, ``k`` the class
            ``classes[k - 1]``).
        probabilities: ``Float[C, H, W]`` class probabilities (``C = K + 1``), after the
            test-time augmentation and CRF of the predictor; ``mask`` is their argmax.
        classes: the model's ``K`` foreground class names.
        image: the input image, ``uint8 [H, W, 3]`` RGB.
        path: the image file, or the video file of a frame (see :class:`DetectionResult`), or
            ``None``.
        category_ids: the dataset's category id of each class ``1..K``, used by
            :meth:`to_coco`.
        frame: index of the video frame (from 0), or ``None``.
        time: seconds from the start of the video, or ``None``.
        index: the image's position among the results of its call, from 0, or ``None``
            (see :class:`DetectionResult`); :meth:`to_coco` numbers images by it.
    """

    mask: torch.Tensor
    probabilities: torch.Tensor
    classes: list[str]
    image: np.ndarray
    path: Path | None = None
    category_ids: list[int] | None = None
    frame: int | None = None
    time: float | None = None
    index: int | None = None

    @property
    def names(self) -> list[str]:
        """The name of each class index: ``names[0]`` is ``"background"``, ``names[k]`` the
        class of label ``k``."""
        return ["background", *self.classes]

    def fractions(self) -> dict[str, float]:
        """Share of the pixels of each class present in :attr:`mask`, largest first."""
        counts = torch.bincount(self.mask.flatten(), minlength=len(self.names))
        total = max(int(self.mask.numel()), 1)
        names = self.names
        shares = {
            names[k] if k < len(names) else f"class {k}": n / total
            for k, n in enumerate(counts.tolist())
            if n
        }
        return dict(sorted(shares.items(), key=lambda item: -item[1]))

    def plot(self, alpha: float = 0.5, legend: bool | Literal["all"] = True) -> np.ndarray:
        """The image with one colour per class blended in, ``uint8`` RGB.

        Args:
            alpha: opacity of the class colours.
            legend: add a panel on the right naming the classes present: the picture is then
                wider than the input, and at least as tall as the legend (an image shorter
                than the legend is padded with black below it); ``"all"``: naming every
                class, the absent ones in grey (a panel of one size for every image of one
                size: video frames); ``False``: ``[H, W, 3]`` like the input.

        Raises:
            ValueError: a ``legend`` other than ``True``, ``False`` or ``"all"``.
        """
        if not (
            isinstance(legend, (bool, np.bool_)) or (isinstance(legend, str) and legend == "all")
        ):
            raise ValueError(
                f"legend must be True, False or 'all', got {legend!r}: True names the classes "
                "present, 'all' every class, False draws no legend"
            )
        kind = "all" if legend == "all" else "present"
        drawn = draw_segmentation(self.image, self.mask, self.classes, alpha=alpha, legend=kind)
        if legend:
            return drawn
        height, width = self.image.shape[:2]
        return np.ascontiguousarray(drawn[:height, :width])

    def _repr_png_(self) -> bytes:
        """:meth:`plot` (with its legend) as PNG: a notebook shows a result as its drawing."""
        return png_bytes(self.plot())

    def save(self, path: str | os.PathLike) -> None:
        """Write :meth:`plot` (with its legend) to ``path`` (the format follows the extension).

        Raises:
            TypeError: ``path`` is no ``str`` or ``os.PathLike``.
            ValueError: ``path`` has no extension (and is no folder) or one OpenCV cannot write.
        """
        save_rgb(_image_file(path), self.plot())

    def save_mask(self, path: str | os.PathLike) -> None:
        """Write :attr:`mask` as an 8-bit palette PNG of class indices (0 background; an image
        viewer shows the class colours).

        Raises:
            TypeError: ``path`` is no ``str`` or ``os.PathLike``.
            ValueError: ``path`` has no extension (and is no folder) or a lossy one (``.jpg``).
        """
        save_label_map(_image_file(path), self.mask)

    def to_coco(
        self, image_id: int | None = None, category_ids: Sequence[int] | None = None
    ) -> list[dict[str, Any]]:
        """The label map in the COCO stuff-segmentation results format.

        Args:
            image_id: the ``image_id`` of every record; default: :attr:`index` + 1, the
                image's position in its call (see :meth:`DetectionResult.to_coco`).
            category_ids: the category id of each class ``1..K``; default: the checkpoint's
                dataset ids (:attr:`category_ids`), else the class indices themselves.

        Returns:
            One dict per foreground class present in :attr:`mask`, by class index:
            ``image_id``, ``category_id`` and ``segmentation``, the class's pixels as
            compressed RLE (``{"size": [H, W], "counts": str}``, ``pycocotools.mask.decode``
            reads it). Background (index 0) has no record.

        Raises:
            ValueError: ``image_id`` is no whole number, ``category_ids`` is no list of whole
                numbers or has another length than :attr:`classes` (one id per class), or a
                class index outside ``0..len(category_ids)``.
        """
        image_id = _coco_image_id(image_id, self.index)
        ids = self.category_ids if category_ids is None else _given_ids(category_ids, self.classes)
        present = [k for k in self.mask.unique().tolist() if k != 0]
        if ids is not None:
            bad = [k for k in present if not 1 <= k <= len(ids)]
            if bad:
                raise ValueError(
                    f"class index {bad[0]} of the mask is outside 1..{len(ids)} (the number "
                    "of category ids); give one category id per class"
                )
        labels = torch.tensor(present, dtype=self.mask.dtype)
        masks = self.mask[None] == labels[:, None, None]  # Bool[N, H, W]
        rles = masks_to_rles(masks, len(present))
        return [
            {
                "image_id": int(image_id),
                "category_id": int(ids[k - 1]) if ids is not None else int(k),
                "segmentation": rle,
            }
            for k, rle in zip(present, rles, strict=True)
        ]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types, as :meth:`DetectionResult.to_dict` gives a detector's: ``width``
        and ``height`` of the label map (pixels) and ``classes``, the share of the pixels of
        each class present (:meth:`fractions`, largest first, rounded to 5 decimals), e.g.
        ``{"width": 640, "height": 480, "classes": {"background": 0.91, "circle": 0.09}}``."""
        height, width = self.mask.shape
        shares = {name: round(share, 5) for name, share in self.fractions().items()}
        return {"width": int(width), "height": int(height), "classes": shares}

    def __repr__(self) -> str:
        height, width = self.mask.shape
        shares = ", ".join(f"{name} {_percent(share)}" for name, share in self.fractions().items())
        where = f", {self.path.name}" if self.path is not None else ""
        frame = f", frame {self.frame}" if self.frame is not None else ""
        return f"SegmentationResult({width}x{height}: {shares}{where}{frame})"


def _percent(share: float) -> str:
    """``share`` of the pixels (``0 < share <= 1``) as a whole percentage that never reads as
    absent or as all: ``"<1%"`` below 0.5 %, ``">99%"`` from 99.5 % up to (not at) 100 %."""
    if share < 0.005:
        return "<1%"
    if 0.995 <= share < 1:
        return ">99%"
    return f"{share:.0%}"


def _detection_index(index: Any) -> bool:
    """``index`` is no string, float, or array of them (other numpy arrays are tensors by
    now); what it selects is then torch's indexing of the ``N`` rows."""
    if isinstance(index, torch.Tensor):
        return not (index.is_floating_point() or index.is_complex())
    return not isinstance(index, (str, bytes, float, np.floating, np.ndarray, dict, set))


def _given_ids(category_ids: Sequence[int], classes: Sequence[str]) -> list[int]:
    """The ``category_ids`` given to ``to_coco`` as a list of ``int``
    (:func:`~detseg.argument_checks.whole_ids`), one per class of ``classes``.

    Raises:
        ValueError: ``category_ids`` is no list of whole numbers, or has another length than
            ``classes``.
    """
    ids = whole_ids(category_ids) or []
    if len(ids) != len(classes):
        raise ValueError(
            f"category_ids has {len(ids)} id{'' if len(ids) == 1 else 's'} for the model's "
            f"{len(classes)} class{'' if len(classes) == 1 else 'es'}; give one per class"
        )
    return ids


def _coco_image_id(image_id: Any, index: int | None) -> int:
    """``image_id`` as the ``int`` a COCO record holds: an integer (numpy and 0-d tensors too)
    or a float with no fraction; for ``None``, ``index + 1`` (the result's position in its
    call, from 1), or 1 without an ``index``.

    Raises:
        ValueError: a string, a bool, a fraction or anything else.
    """
    if image_id is None:
        return 1 if index is None else index + 1
    if isinstance(image_id, torch.Tensor) and image_id.numel() == 1:
        image_id = image_id.item()
    if isinstance(image_id, numbers.Real) and not isinstance(image_id, (bool, np.bool_)):
        if float(image_id).is_integer():
            return int(float(image_id))
    raise ValueError(
        f"image_id must be a whole number (the COCO image id), got {image_id!r}; "
        "give the int id of the image in the dataset's annotations"
    )


def _image_file(path: str | os.PathLike) -> Path:
    """``path`` (``~`` expanded) to write an image to.

    Raises:
        TypeError: ``path`` is no ``str`` or ``os.PathLike`` (``None``, a number, bytes).
        ValueError: a name without an extension that is not a folder (a folder is refused,
            with an example file name, by :func:`~detseg.visualize.save_rgb`).
    """
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise TypeError(
            f"path must be a file name (a str or pathlib.Path), got {brief(path)}; give e.g. "
            "'prediction.png'"
        )
    file = Path(path).expanduser()
    if not file.suffix and not file.is_dir():
        raise ValueError(
            f"cannot write {file}: it has no extension; give a file name ending in .png or "
            f".jpg, e.g. {file.with_name(file.name + '.png')}"
        )
    return file


def _class_name(classes: Sequence[str], label: int) -> str:
    """``classes[label - 1]``, or ``"class <label>"`` outside ``1..len(classes)``."""
    return classes[label - 1] if 1 <= label <= len(classes) else f"class {label}"
