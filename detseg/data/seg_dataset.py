"""The base class of the semantic segmentation datasets: an image and a label map per sample.

:class:`SegmentationDataset` reads the image and the label map of an index, checks the label map
against the image and the class list (:func:`~detseg.data.label_maps.check_label_map`), runs the
augmentations on both and makes the tensors; the readers of :mod:`detseg.data.masks`,
:mod:`detseg.data.voc_seg` and :mod:`detseg.data.coco_seg` say where the files are. An
unreadable image or label map gives ``None`` and a warning naming the file (the loader counts
it); a label map that does not fit stops the run with a ``ValueError`` ending with
:data:`LIST_ALL_HINT`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from detseg.data.base import ImageDataset
from detseg.data.image_io import ImageReadError, to_unit_float
from detseg.data.label_maps import check_label_map, header_size, read_label_map
from detseg.data.seg_transforms import apply_segmentation_augmentations, check_segmentation_pipeline

__all__ = ["LIST_ALL_HINT", "SegSample", "SegmentationDataset"]

logger = logging.getLogger(__name__)

#: What a dataset yields: ``(image Float32[3, H, W], mask Int64[H, W])`` or ``None``.
SegSample = tuple[torch.Tensor, torch.Tensor] | None


#: Ends the error of a label map that stops training or evaluation (wrong size, values, colours).
LIST_ALL_HINT = (
    "detseg-check-data (tools/check_data.py) on the config or data file lists every such label map"
)


class SegmentationDataset(ImageDataset):
    """Base class: ``dataset[i] -> (image Float32[3, H, W], mask Int64[H, W])`` or ``None``.

    Subclasses set ``classes`` (foreground names; mask value ``k`` is ``classes[k - 1]``),
    ``image_ids`` and implement :meth:`image_path` and :meth:`mask_path` (or override
    :meth:`label_map` when the labels are not stored as files).

    Args:
        augmentations: Optional pipeline from
            :func:`detseg.data.seg_transforms.build_segmentation_augmentations`, or an
            ``albumentations.Compose`` of one's own without ``Normalize`` or ``ToTensorV2``
            (refused with a ``ValueError``: the model normalises, the dataset makes the tensor).

    Decoding the image and its label map is most of the cost of an item on a CPU.
    :meth:`enable_cache` keeps each decoded and checked pair in memory after its
    first read (config ``data.cache: true``).
    """

    _cache: dict[int, tuple[np.ndarray, np.ndarray]] | None = None

    def __init__(self, augmentations: Any | None = None) -> None:
        if augmentations is not None:  # Normalize or ToTensorV2 in it would break the contract
            check_segmentation_pipeline(augmentations)
        super().__init__(augmentations)

    def enable_cache(self) -> None:
        """Keep every decoded image (as stored, ``uint8`` for most files) and checked label map.

        Costs ``H * W * 4`` bytes per 8-bit image (~256 KB at 256 px; 2000 shapes images take
        ~0.5 GB) in each process that reads the dataset: the main process with
        ``num_workers: 0``, else each loader worker, which keeps it only while it lives.
        Augmentations still run on every read.
        """
        if self._cache is None:
            self._cache = {}

    def mask_path(self, index: int) -> Path:
        """Path of the label map of image ``index`` (named in error messages)."""
        raise NotImplementedError

    def label_map(self, index: int, image_size: tuple[int, int]) -> np.ndarray:
        """Raw ``[H, W]`` integer label map of image ``index`` (not yet checked)."""
        return read_label_map(self.mask_path(index))

    def labelled_size(self, index: int) -> tuple[int, int] | None:
        """:meth:`stated_size` where the dataset states one, else the ``(H, W)`` of the label
        map file's header, whatever its pixel count (``None`` when it cannot be read: the
        label map read says why)."""
        stated = self.stated_size(index)
        if stated is not None:
            return stated
        return header_size(self.mask_path(index))

    def _read_pair(self, index: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(RGB [H, W, 3] as stored, checked label map UInt8[H, W])``, or ``None`` (skipped)."""
        rgb = self.read_rgb(index)
        if rgb is None:
            return None
        size = (rgb.shape[0], rgb.shape[1])
        source = f"{self.mask_path(index)} (image {self.image_path(index)})"
        try:
            return rgb, check_label_map(self.label_map(index, size), size, self.num_classes, source)
        except ImageReadError as exc:
            logger.warning("skipping image %d: unreadable label map: %s", index, exc)
            return None
        except ValueError as exc:  # the first bad label map stops the run: say how to find all
            raise ValueError(f"{exc} ({LIST_ALL_HINT})") from exc

    def __getitem__(self, index: int) -> SegSample:
        pair = self._cache.get(index) if self._cache is not None else None
        if pair is None:
            pair = self._read_pair(index)
            if pair is None:
                return None
            if self._cache is not None:
                self._cache[index] = pair
        rgb, mask = pair
        image = to_unit_float(rgb, self.image_path(index))
        if self.augmentations is not None:
            image, mask = apply_segmentation_augmentations(
                self.augmentations, image, mask.copy(), source=self.image_path(index)
            )
        image_tensor = torch.from_numpy(image.transpose(2, 0, 1).copy())
        return image_tensor, torch.from_numpy(mask.astype(np.int64))
