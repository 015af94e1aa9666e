"""How a segmenter's label maps are made at evaluation and inference time (config ``eval``).

The plain answer is ``model.predict(images)``: one forward pass, argmax of the logits.
:class:`SegmentationInference` can add, in this order:

1. test-time augmentation: the mean class probabilities over flipped / rotated views
   (``eval.tta``) at one or more scales (``eval.tta_scales``), see :mod:`.tta`;
2. a locally connected CRF that moves class borders onto colour edges (``eval.crf``),
   see :mod:`.crf`;
3. the argmax over classes.

``tools/eval.py`` and ``tools/infer.py`` use it; validation during training stays one plain pass
(it has to be cheap, and it only ranks checkpoints).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import Tensor, nn

from detseg.choices.tta_modes import tta_scales_problem

from .crf import LocalCRF
from .tta import tta_probabilities, tta_views

if TYPE_CHECKING:  # the engine imports this module: the protocol is for the type checker only
    from detseg.engine.runtime.model_api import Segmenter


@dataclass(frozen=True)
class SegmentationInference:
    """Test-time augmentation, CRF and argmax: ``labels = inference(model, images)``.

    Attributes:
        tta: a mode of :data:`detseg.segmentation.tta.TTA_MODES`.
        scales: image resize factors of the TTA, each in ``[0.25, 4]`` as the config's
            ``eval.tta_scales`` (:data:`~detseg.choices.tta_modes.TTA_SCALE_RANGE`: ``50``
            would ask for 2,500 times the pixels, a kill for memory without a message);
            ``(1.0,)`` is the images as they are.
        crf: the CRF applied to the probabilities, or ``None``.

    Raises:
        ValueError: an unknown ``tta`` mode, no scale, or a scale outside ``[0.25, 4]``.
    """

    tta: str = "none"
    scales: tuple[float, ...] = (1.0,)
    crf: LocalCRF | None = None

    def __post_init__(self) -> None:
        tta_views(self.tta)  # raises on an unknown mode
        problem = tta_scales_problem(self.scales, "scales")
        if problem:
            raise ValueError(problem)

    @classmethod
    def from_config(cls, eval_cfg: Any, tta: str | None = None) -> SegmentationInference:
        """From the config's ``eval`` section (``tta``, ``tta_scales``, ``crf``); ``tta``
        overrides ``eval.tta`` (``infer.py --tta``)."""
        # eval.crf has LocalCRF's keys (tests/test_config.py keeps them equal); 0 iterations: off
        crf = None
        if eval_cfg.crf.iterations > 0:
            crf = LocalCRF(**dataclasses.asdict(eval_cfg.crf))
        return cls(tta or eval_cfg.tta, tuple(eval_cfg.tta_scales), crf)

    @property
    def is_plain(self) -> bool:
        """True when this is exactly ``model.predict``: one view, one scale, no CRF."""
        return self.tta == "none" and self.scales == (1.0,) and self.crf is None

    def describe(self) -> str:
        """One line for logs and ``metrics.json``, e.g. ``"dihedral TTA x scales [1.0, 1.25]
        + CRF (5 iterations)"``; only the steps that run are named: ``"scales [1.0, 1.25]"``
        without flips (``tta: none``), ``"CRF (5 iterations)"`` on the images as they are,
        ``"one pass"`` for plain ``model.predict``."""
        parts = []
        if self.tta != "none":
            parts.append(f"{self.tta} TTA x scales {list(self.scales)}")
        elif self.scales != (1.0,):
            parts.append(f"scales {list(self.scales)}")
        if self.crf is not None:
            parts.append(f"CRF ({self.crf.iterations} iterations)")
        return " + ".join(parts) or "one pass"

    @torch.no_grad()
    def probabilities(self, model: nn.Module, images: Tensor) -> Tensor:
        """Class probabilities ``Float[B, C, H, W]`` of images ``Float[B, 3, H, W]`` in [0, 1]."""
        probabilities = tta_probabilities(model, images, self.tta, self.scales)
        if self.crf is not None:
            probabilities = self.crf(probabilities, images)
        return probabilities

    @torch.no_grad()
    def __call__(self, model: nn.Module, images: Tensor) -> Tensor:
        """Label maps ``Int64[B, H, W]`` in ``0..K``: the argmax of :meth:`probabilities`.

        Args:
            model: a segmenter (``model(images) -> Float[B, K + 1, h, w]`` logits, ``predict``).
            images: ``Float[B, 3, H, W]`` in ``[0, 1]``.
        """
        if self.is_plain:
            return cast("Segmenter", model).predict(images)
        return self.probabilities(model, images).max(dim=1).indices  # see model.predict

    @torch.no_grad()
    def padded_batch_labels(
        self, model: nn.Module, images: Tensor, image_sizes: Sequence[tuple[int, int]]
    ) -> Tensor:
        """Label maps ``Int64[B, H, W]`` of a batch padded at the bottom / right, each image
        labelled at its own size, as if it were alone.

        A padded image is not the image: the convolutions near its border see the padding, the
        flips of the TTA move the padding to the other side, a per-image normalisation and the
        CRF see its pixels. So the images are cropped to their sizes and labelled in groups of
        one size; the label maps are then padded back with ``0`` (the masks mark padding as
        ignored). A batch of one size is one pass, as ``self(model, images)``.

        Args:
            model: a segmenter.
            images: ``Float[B, 3, H, W]`` in ``[0, 1]``, image ``i`` in its top-left
                ``image_sizes[i]`` corner.
            image_sizes: ``(h, w)`` of each image before padding; empty: all are ``H x W``.
        """
        height, width = images.shape[-2:]
        sizes = [tuple(size) for size in image_sizes] or [(height, width)] * len(images)
        if len(sizes) != len(images):
            raise ValueError(f"{len(sizes)} image sizes for a batch of {len(images)} images")
        if set(sizes) == {(height, width)}:
            return self(model, images)
        labels = images.new_zeros((len(images), height, width), dtype=torch.int64)
        for size in dict.fromkeys(sizes):  # each size once, in batch order
            members = [i for i, s in enumerate(sizes) if s == size]
            h, w = size
            index = torch.tensor(members, device=images.device)
            labels[index, :h, :w] = self(model, images[index, :, :h, :w])
        return labels
