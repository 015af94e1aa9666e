"""The ``loss`` and ``input`` sections of a segmentation model's config, as dataclasses.

.. code-block:: yaml

    model:
      name: unet
      loss: {kind: ce+dice, boundary_weight: 3.0, size: logits}
      input: {per_image_norm: true, scale: 0.5}

Every segmentation builder takes ``loss`` (:class:`SegmentationLossConfig`) and ``input``
(:class:`SegmentationInputConfig`), each as the dataclass itself or as a dict of its fields
(``None``: all defaults); an unknown field is an error that names the closest one.

These settings are not top-level model keys: :func:`check_moved_keys` rejects a flat key
such as ``model.dice_weight`` with the key to set instead (``model.loss.dice_weight``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from detseg.backbones.weights import IMAGENET_MEAN, IMAGENET_STD
from detseg.config.sections import dataclass_from_dict

from .loss import LOSS_KINDS, TARGET_DOWNSAMPLING, SegmentationLoss
from .model import LOSS_SIZES


@dataclass(frozen=True)
class SegmentationLossConfig:
    """``model.loss``: what a segmenter trains with, and at which size.

    Attributes:
        kind: ``"ce"`` (``loss_seg``), ``"dice"`` (``loss_dice``) or ``"ce+dice"`` (both).
        dice_weight: weight of ``loss_dice`` (and of Dice in ``loss_deep``).
        aux_weight: weight of the auxiliary head's cross-entropy ``loss_aux`` (torchvision
            uses 0.5); unused by a model without an auxiliary head.
        boundary_weight: weight of the label-border pixels in the cross-entropy (1: plain
            cross-entropy; see :class:`~detseg.segmentation.loss.SegmentationLoss`).
        size: where the training loss compares logits and masks: ``"input"``, ``"network"``
            or ``"logits"`` (``loss_size`` of :class:`~detseg.segmentation.SegmentationModel`).
        target_downsampling: ``"nearest"`` (labels) or ``"area"`` (class fractions) for masks
            compared at a smaller size (see ``SegmentationModel``).

    Raises:
        ValueError: an unknown ``kind``, ``size`` or ``target_downsampling``,
            ``boundary_weight <= 0``, or an ``aux_weight`` / ``dice_weight`` that is negative
            or not finite.
    """

    kind: str = "ce"
    dice_weight: float = 1.0
    aux_weight: float = 0.5
    boundary_weight: float = 1.0
    size: str = "input"
    target_downsampling: str = "nearest"

    def __post_init__(self) -> None:
        for key, choices in (
            ("kind", LOSS_KINDS),
            ("size", LOSS_SIZES),
            ("target_downsampling", TARGET_DOWNSAMPLING),
        ):
            if getattr(self, key) not in choices:
                raise ValueError(
                    f"model.loss.{key} must be one of {choices}, got {getattr(self, key)!r}."
                )
        if self.boundary_weight <= 0:
            raise ValueError(
                f"model.loss.boundary_weight must be > 0, got {self.boundary_weight!r}."
            )
        # aux_weight and dice_weight by the loss's own checks, here when the config loads
        # (before the data, with the key's --set), not only when the model is built
        self.segmentation_loss()

    def segmentation_loss(self) -> SegmentationLoss:
        """The loss callable of these settings (``size`` and ``target_downsampling`` are the
        model's)."""
        return SegmentationLoss(self.kind, self.aux_weight, self.dice_weight, self.boundary_weight)


@dataclass(frozen=True)
class SegmentationInputConfig:
    """``model.input``: how the model prepares its ``[0, 1]`` RGB images for the backbone.

    Attributes:
        image_mean, image_std: per-channel normalisation ``(x - mean) / std`` (ImageNet's).
        per_image_norm: standardise each image by its own per-channel mean and standard
            deviation instead (see :class:`~detseg.segmentation.SegmentationModel`).
        scale: resize factor in ``(0, 1]`` of the normalised batch before the backbone; the
            logits are still upsampled to the input size.

    Raises:
        ValueError: ``scale`` outside ``(0, 1]``, or ``image_mean`` / ``image_std`` not 3
            values (std > 0).
    """

    image_mean: tuple[float, ...] = IMAGENET_MEAN
    image_std: tuple[float, ...] = IMAGENET_STD
    per_image_norm: bool = False
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 < self.scale <= 1.0:
            raise ValueError(f"model.input.scale must be in (0, 1], got {self.scale!r}.")
        if len(self.image_mean) != 3 or len(self.image_std) != 3 or min(self.image_std) <= 0:
            raise ValueError(
                "model.input.image_mean and image_std need 3 values (std > 0), got "
                f"{self.image_mean}, {self.image_std}."
            )


LossSection = SegmentationLossConfig | dict[str, Any] | None
InputSection = SegmentationInputConfig | dict[str, Any] | None


def loss_config(loss: LossSection) -> SegmentationLossConfig:
    """``loss`` as a :class:`SegmentationLossConfig` (a dict of its fields, or ``None``).

    Raises:
        ValueError: an unknown field, a bad value, or a loss name instead of the section.
    """
    if isinstance(loss, SegmentationLossConfig):
        return loss
    if isinstance(loss, str):
        raise ValueError(_moved("loss", "loss.kind"))
    return dataclass_from_dict(SegmentationLossConfig, loss, "model.loss")


def input_config(input: InputSection) -> SegmentationInputConfig:
    """``input`` as a :class:`SegmentationInputConfig` (a dict of its fields, or ``None``).

    Raises:
        ValueError: an unknown field or a bad value.
    """
    if isinstance(input, SegmentationInputConfig):
        return input
    return dataclass_from_dict(
        SegmentationInputConfig, input, "model.input", as_tuple=("image_mean", "image_std")
    )


#: Flat model keys of the settings above -> the key under ``model`` that holds each.
MOVED_KEYS: dict[str, str] = {
    "aux_loss_weight": "loss.aux_weight",
    "dice_weight": "loss.dice_weight",
    "boundary_weight": "loss.boundary_weight",
    "loss_size": "loss.size",
    "target_downsampling": "loss.target_downsampling",
    "image_mean": "input.image_mean",
    "image_std": "input.image_std",
    "per_image_norm": "input.per_image_norm",
    "input_scale": "input.scale",
}


def check_moved_keys(kwargs: Mapping[str, Any]) -> None:
    """Reject the flat keys of :data:`MOVED_KEYS` and a loss name given as ``model.loss``.

    Args:
        kwargs: a segmentation model's builder keyword arguments (its config section).

    Raises:
        ValueError: e.g. ``"model.dice_weight moved: set model.loss.dice_weight"``.
    """
    for key in kwargs:
        if key in MOVED_KEYS:
            raise ValueError(_moved(key, MOVED_KEYS[key]))
    if isinstance(kwargs.get("loss"), str):
        raise ValueError(_moved("loss", "loss.kind"))


def _moved(key: str, new_key: str) -> str:
    return f"model.{key} moved: set model.{new_key}"
