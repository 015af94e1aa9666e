"""The two methods the engine calls on a model, ``losses`` and ``predict``, as typing protocols.

Every detseg model is an ``nn.Module`` with both (detectors: :mod:`detseg.detection`;
segmenters: :class:`~detseg.segmentation.model.SegmentationModel`). Model builders return a
plain ``nn.Module``, whose unknown attributes type-check as ``Tensor | Module``, so the engine
names the kind of model it holds with ``cast(Detector, model)``, ``cast(Segmenter, model)``
or, for either, ``cast(DetsegModel, model)``.
"""

from __future__ import annotations

from typing import Protocol

from torch import Tensor


class Detector(Protocol):
    """A detseg detector."""

    #: ``predict`` drops detections scoring at most this (a property of every detector).
    score_thresh: float

    def losses(self, images: list[Tensor], targets: list[dict[str, Tensor]]) -> dict[str, Tensor]:
        """Loss terms of images ``Float[3, H, W]`` and their targets (``boxes`` xyxy px,
        ``labels``)."""
        ...

    def predict(self, images: list[Tensor]) -> list[dict[str, Tensor]]:
        """Per image: ``boxes Float[N, 4]`` (xyxy px of the input image), ``scores Float[N]``,
        ``labels Int64[N]``."""
        ...


class Segmenter(Protocol):
    """A detseg segmenter."""

    def losses(self, images: Tensor, masks: Tensor) -> dict[str, Tensor]:
        """Loss terms of images ``Float[B, 3, H, W]`` and masks ``Int64[B, H, W]``."""
        ...

    def predict(self, images: Tensor) -> Tensor:
        """Label maps ``Int64[B, H, W]`` of images ``Float[B, 3, H, W]``."""
        ...


#: A detector or a segmenter: ``losses(images, targets or masks)`` works on both.
DetsegModel = Detector | Segmenter
