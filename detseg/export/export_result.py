"""What an export wrote: :class:`ExportResult`, the record that :func:`export_model` returns
and that the sidecar (:mod:`detseg.export.sidecar`) and the check
(:func:`~detseg.export.verify.verify_export`) read.

A module of its own so that the check and the sidecar read the record without importing the
export itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn


@dataclass(frozen=True)
class ExportResult:
    """What :func:`~detseg.export.model_export.export_model` wrote.

    Attributes:
        path: the exported file. sidecar: its ``.json`` description.
        format: ``"onnx"`` or ``"torchscript"``. opset: the ONNX opset (``None`` for TorchScript).
        model_name: the config's model name (or the class name). task: ``"detection"`` or
            ``"segmentation"``.
        input_size: ``(H, W)`` of the traced example: the input size of a static export.
        batch_size: images per call of a static export (1 for detectors).
        dynamic: ``H, W`` (and a segmenter's batch) are free.
        classes: foreground class names (label ``k`` is ``classes[k - 1]``).
        category_ids: the dataset's category id of each label (label ``k`` is category
            ``category_ids[k - 1]``, e.g. a COCO ``category_id``); ``1..K`` where the
            checkpoint stores none.
        score_thresh: the detector's score threshold in the graph (``None``: segmenter).
        model: the exported model (an eval-mode CPU copy), the reference of
            :func:`~detseg.export.verify.verify_export`.
        checkpoint: the checkpoint file exported (``None`` for a model).
        data: the checkpoint config's ``data`` section (flat, as ``build_dataset`` takes it;
            ``None`` for a model), plus ``launch_folder``, the folder training was started
            from, where the checkpoint records one: where
            :func:`~detseg.export.check_images.check_images` finds the val split's images.
    """

    path: Path
    sidecar: Path
    format: str
    opset: int | None
    model_name: str
    task: str
    input_size: tuple[int, int]
    batch_size: int
    dynamic: bool
    classes: tuple[str, ...]
    score_thresh: float | None
    model: nn.Module = field(repr=False, compare=False)
    category_ids: tuple[int, ...] = ()
    checkpoint: Path | None = None
    data: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def input_shape(self) -> list[int | str]:
        """``[B, 3, H, W]`` with the free dimensions named (``batch``, ``height``, ``width``)."""
        batch: int | str = self.batch_size
        if self.dynamic and self.task == "segmentation":
            batch = "batch"
        height, width = ("height", "width") if self.dynamic else self.input_size
        return [batch, 3, height, width]
