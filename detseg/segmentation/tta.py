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
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

#: Valid values of the config key ``eval.tta``.
TTA_MODES = ("none", "hflip", "flips", "dihedral")


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
def predict_with_tta(model: nn.Module, images: Tensor, mode: str = "none") -> Tensor:
    """Per-pixel labels ``Int64[B, H, W]`` from the mean class probabilities over the views.

    Args:
        model: a segmenter: ``model(images Float[B, 3, H, W]) -> logits Float[B, C, H, W]``
            for any ``H, W`` (the transposed views swap them), and ``predict``.
        images: ``Float[B, 3, H, W]`` in ``[0, 1]``.
        mode: one of :data:`TTA_MODES`; ``"none"`` is ``model.predict(images)``.
    """
    views = tta_views(mode)
    if len(views) == 1:
        return model.predict(images)
    probabilities = None
    for view in views:
        p = view.undo(model(view.apply(images)).softmax(dim=1))
        probabilities = p if probabilities is None else probabilities.add_(p)
    return probabilities.max(dim=1).indices  # argmax: see SegmentationModel.predict
