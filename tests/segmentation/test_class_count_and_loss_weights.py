"""A class label must not be the void label, and loss weights must not ascend their loss."""

from __future__ import annotations

import pytest
from torch import nn

from detseg.segmentation import SegmentationLoss, SegmentationModel, lraspp


def _model(num_classes: int, loss: SegmentationLoss | None = None) -> SegmentationModel:
    """A ``SegmentationModel`` of placeholder parts (the checks run before any forward)."""
    return SegmentationModel(nn.Identity(), nn.Identity(), num_classes, loss=loss)


def test_a_class_label_that_is_the_ignore_index_is_refused() -> None:
    assert _model(254).num_classes == 254  # labels 1..254, 255 void: an 8-bit label map
    with pytest.raises(ValueError, match="ignore_index 255.*at most 254"):
        _model(255)
    with pytest.raises(ValueError, match="num_classes=300"):
        lraspp(300, backbone_weights=None, width_mult=0.25)
    assert _model(300, SegmentationLoss(ignore_index=-100)).num_classes == 300


@pytest.mark.parametrize("key", ["aux_weight", "dice_weight"])
@pytest.mark.parametrize("value", [-0.5, float("nan"), float("inf")])
def test_negative_or_non_finite_loss_weights_are_refused(key: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"model.loss.{key} must be a finite number >= 0"):
        SegmentationLoss(**{key: value})
    assert getattr(SegmentationLoss(**{key: 0.0}), key) == 0.0
