"""Test-time augmentation (TTA) for segmenters: average the class probabilities of several views.

Each view flips and/or transposes the images, runs the model, and undoes the same geometric
change on the logits, so every view's probabilities line up with the original pixels. The
prediction is the argmax of the mean softmax over the views (as MMSegmentation's flip test).

===========  =====  ======================================================================
mode         views  use
===========  =====  ======================================================================
``none``     1      the plain prediction
``hflip``    2      natural images: the world is left-right symmetric, not up-down
``flips``    4      + vertical flip and both (aerial or microscope images)
``dihedral`` 8      + the transposes: all 90-degree rotations and mirrors (the shapes data,
                    which has no up, down, left or right)
===========  =====  ======================================================================

The cost is one forward pass per view. A mode should only use symmetries that the training
augmentations taught the model (a model never trained on rotated images gains nothing from
``dihedral``).

Scales (``eval.tta_scales``) multiply the views: every view also runs on the images resized by
each factor, and the answers are resized back before the mean. A model that answers at a
coarse stride sees small objects and borders better slightly enlarged (the shapes U-Net's
``[1.0, 1.25]``; its measurements are in ``docs/benchmarks.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.choices.tta_modes import TTA_MODES, tta_scales_problem

if TYPE_CHECKING:  # the engine imports this module: the protocol is for the type checker only
    from detseg.engine.runtime.model_api import Segmenter


class View(NamedTuple):
    """One geometric view: transpose ``H`` and ``W`` first, then flip left-right / up-down."""

    transpose: bool
    hflip: bool
    vflip: bool

    def apply(self, x: Tensor) -> Tensor:
        """The view of ``x`` (``[..., H, W]``; ``[..., W, H]`` when transposed)."""
        if self.transpose:
            x = x.transpose(-1, -2)
        if self.hflip:
            x = x.flip(-1)
        if self.vflip:
            x = x.flip(-2)
        return x

    def undo(self, x: Tensor) -> Tensor:
        """Back to the original pixel grid: the inverse of :meth:`apply`."""
        if self.vflip:
            x = x.flip(-2)
        if self.hflip:
            x = x.flip(-1)
        if self.transpose:
            x = x.transpose(-1, -2)
        return x


def tta_views(mode: str) -> list[View]:
    """The views of ``mode`` (see the module docstring); the identity comes first.

    Raises:
        ValueError: ``mode`` is not one of :data:`TTA_MODES`.
    """
    if mode not in TTA_MODES:
        raise ValueError(f"unknown TTA mode {mode!r}; valid: {', '.join(TTA_MODES)}")
    transposes = (False, True) if mode == "dihedral" else (False,)
    vflips = (False, True) if mode in ("flips", "dihedral") else (False,)
    hflips = (False,) if mode == "none" else (False, True)
    return [View(t, h, v) for t in transposes for v in vflips for h in hflips]


@torch.no_grad()
def tta_probabilities(
    model: nn.Module, images: Tensor, mode: str = "none", scales: Sequence[float] = (1.0,)
) -> Tensor:
    """Mean class probabilities ``Float[B, C, H, W]`` over the views of ``mode`` at each scale.

    Args:
        model: a segmenter: ``model(images Float[B, 3, h, w]) -> logits Float[B, C, h, w]``
            for any ``h, w`` (the transposed views swap them, the scales resize them).
        images: ``Float[B, 3, H, W]`` in ``[0, 1]``.
        mode: one of :data:`TTA_MODES`.
        scales: the images are resized by each factor (bilinear; antialiased when shrinking),
            every view runs at every scale, and each answer is resized back to ``H x W``
            (bilinear) before the mean. ``(1.0,)``: the images as they are. Multi-scale
            testing as in DeepLab and MMSegmentation's ``img_ratios``. Each factor in
            ``[0.25, 4]``, as the config's ``eval.tta_scales``.

    Raises:
        ValueError: an unknown mode, no scale, or a scale outside ``[0.25, 4]``.
    """
    views = tta_views(mode)
    problem = tta_scales_problem(scales, "scales")
    if problem:
        raise ValueError(problem)
    size = images.shape[-2:]
    total: Tensor | None = None
    for scale in scales:
        scaled = resize_images(images, scale)
        for view in views:
            p = view.undo(model(view.apply(scaled)).softmax(dim=1))
            if p.shape[-2:] != size:
                p = F.interpolate(p, size=size, mode="bilinear", align_corners=False)
            total = p if total is None else total.add_(p)
    assert total is not None, "every mode has a view and scales is not empty"
    return total.div_(len(views) * len(scales))


def resize_images(images: Tensor, scale: float) -> Tensor:
    """``images`` (``Float[B, 3, H, W]``) resized to ``round(H * scale) x round(W * scale)``.

    Bilinear, antialiased when shrinking; each side is at least 1. ``scale == 1.0`` returns
    ``images`` itself.
    """
    if scale == 1.0:
        return images
    size = (max(round(images.shape[-2] * scale), 1), max(round(images.shape[-1] * scale), 1))
    return F.interpolate(
        images, size=size, mode="bilinear", align_corners=False, antialias=scale < 1.0
    )


@torch.no_grad()
def predict_with_tta(
    model: nn.Module, images: Tensor, mode: str = "none", scales: Sequence[float] = (1.0,)
) -> Tensor:
    """Per-pixel labels ``Int64[B, H, W]``: the argmax of :func:`tta_probabilities`.

    With ``mode="none"`` and ``scales=(1.0,)`` this is ``model.predict(images)``.

    Raises:
        ValueError: an unknown mode, no scale, or a scale <= 0.
    """
    if mode == "none" and tuple(scales) == (1.0,):
        return cast("Segmenter", model).predict(images)
    probabilities = tta_probabilities(model, images, mode, scales)
    return probabilities.max(dim=1).indices  # argmax: see SegmentationModel.predict
