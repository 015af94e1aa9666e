"""Mask R-CNN's ``mask_threshold`` is a probability: a value outside ``[0, 1]`` is refused when
the model is built (above 1 every binarised mask would be empty, below 0 every mask would fill
its image), and the edge 0 binarises as ``masks > mask_threshold`` says."""

from __future__ import annotations

import math

import pytest
import torch

from detseg.detection.mask_rcnn import MaskRCNN, mask_rcnn

SMALL = {
    "backbone": "resnet18",
    "min_size": 64,
    "max_size": 96,
    "representation_size": 32,
    "mask_layers": (16,),
    "mask_dim_reduced": 16,
    "rpn": {"post_nms_top_n_test": 20},
    "roi_heads": {"detections_per_img": 5, "score_thresh": 0.0},
}


@pytest.fixture(scope="module")
def model() -> MaskRCNN:
    torch.manual_seed(0)
    return mask_rcnn(3, mask_threshold=0.0, **SMALL).eval()


def _rebuilt(model: MaskRCNN, threshold: float) -> MaskRCNN:
    parts = (model.backbone, model.rpn, model.roi_heads, model.transform, model.mask_head)
    return MaskRCNN(*parts, mask_threshold=threshold)


@pytest.mark.parametrize("threshold", [1.5, -0.1, 50.0, math.nan])
def test_threshold_outside_zero_one_is_refused(model, threshold):
    with pytest.raises(ValueError, match=r"mask_threshold must lie in \[0, 1\], got"):
        _rebuilt(model, threshold)


def test_builder_refuses_a_percentage():
    with pytest.raises(ValueError, match=r"mask_threshold must lie in \[0, 1\], got 50"):
        mask_rcnn(3, mask_threshold=50, **SMALL)


def test_edge_thresholds_are_kept(model):
    assert _rebuilt(model, 1.0).mask_threshold == 1.0
    assert model.mask_threshold == 0.0
    with torch.no_grad():
        (out,) = model.predict([torch.rand(3, 64, 80, generator=torch.Generator().manual_seed(0))])
    masks = out["masks"]  # Float[D, 1, H, W] probabilities
    assert masks.shape[0] > 0
    assert (masks > model.mask_threshold).any() and not (masks > 1.0).any()
