"""TensorBoard records of a run (``WORK_DIR/tb/``), next to ``metrics.jsonl``.

Scalars: the training loss terms, learning rate and (where measured) gradient norm every
``train.log_every`` steps, the validation metrics and losses after every evaluation. Images:
the first ``train.tensorboard_images`` validation images with the model's predictions drawn on
them (boxes with scores, or the class overlay of a segmenter), after every evaluation.
``tensorboard --logdir WORK_DIR/tb`` shows them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from detseg.engine.runtime.model_api import Detector, Segmenter
from detseg.visualize import draw_detections, draw_segmentation, tensor_to_rgb

logger = logging.getLogger(__name__)


class TensorBoardLogger:
    """A ``SummaryWriter`` on ``log_dir``.

    Raises:
        ImportError: the ``tensorboard`` package is missing (the message says how to install
            it or turn TensorBoard off).
    """

    def __init__(self, log_dir: str | Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as err:
            raise ImportError(
                "TensorBoard logging needs the tensorboard package: pip install tensorboard, "
                "or set train.tensorboard=false"
            ) from err
        self.writer = SummaryWriter(log_dir=str(log_dir))

    def scalars(self, prefix: str, values: dict[str, Any], step: int) -> None:
        """Write every finite number of ``values`` as ``prefix/name``."""
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if math.isfinite(value):
                self.writer.add_scalar(f"{prefix}/{name}", value, step)

    def image(self, tag: str, image: np.ndarray, step: int) -> None:
        """Write one ``uint8 [H, W, 3]`` RGB image."""
        self.writer.add_image(tag, image, step, dataformats="HWC")

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


@torch.no_grad()
def prediction_images(
    model: nn.Module,
    samples: Sequence[tuple[torch.Tensor, Any]],
    classes: Sequence[str],
    device: torch.device,
    score_threshold: float,
) -> list[np.ndarray]:
    """The predictions of ``model`` drawn on ``samples`` (``(image Float[3, H, W], target)``).

    Detectors: boxes scoring at least ``score_threshold`` (over their masks, binarised at
    ``model.mask_threshold``, for a model with masks); segmenters: the class overlay.
    """
    was_training = model.training
    model.eval()
    drawn = []
    for image, _ in samples:
        rgb = tensor_to_rgb(image)
        if getattr(model, "task", "detection") == "segmentation":
            labels = cast(Segmenter, model).predict(image[None].to(device))[0].cpu()
            drawn.append(draw_segmentation(rgb, labels, classes))
        else:
            out = cast(Detector, model).predict([image.to(device)])[0]
            masks = None
            if "masks" in out:  # Float[N, 1, H, W] probabilities
                masks = (out["masks"][:, 0] > getattr(model, "mask_threshold", 0.5)).cpu()
            drawn.append(
                draw_detections(
                    rgb,
                    boxes=out["boxes"].cpu(),
                    labels=out["labels"].cpu(),
                    scores=out["scores"].float().cpu(),
                    class_names=classes,
                    score_threshold=score_threshold,
                    masks=masks,
                )
            )
    model.train(was_training)
    return drawn
