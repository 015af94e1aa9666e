"""Detection settings: SSDConfig refuses out-of-range settings at construction, as the other
heads' configs do; the target check names a bad label without a class count."""

from __future__ import annotations

import pytest

from detseg.detection.ssd import SSDConfig


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"iou_thresh": 0.0}, "iou_thresh must be in"),
        ({"nms_thresh": 1.5}, "nms_thresh in"),
        ({"neg_pos_ratio": -1.0}, "neg_pos_ratio and smooth_l1_beta must be >= 0"),
        ({"topk_candidates": 0}, "topk_candidates must be >= 1"),
        ({"detections_per_img": -1}, "detections_per_img must be >= 1"),
    ],
)
def test_out_of_range_settings_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        SSDConfig(**change)


def test_the_defaults_are_valid():
    assert SSDConfig().iou_thresh == 0.5


def test_a_label_below_1_without_a_class_count_is_named():
    import torch

    from detseg.detection.validation import check_targets

    targets = [{"boxes": torch.tensor([[1.0, 1.0, 4.0, 4.0]]), "labels": torch.tensor([0])}]
    with pytest.raises(ValueError, match=r"image 0: label 0 of box 0 is below 1; labels are"):
        check_targets(targets, 1)


def test_retinanet_builder_sets_low_quality_matching():
    from detseg.detection.retinanet import retinanet

    model = retinanet(3, backbone="mobilenet_v3_large", allow_low_quality_matches=False)
    assert model.config.allow_low_quality_matches is False
    assert model.matcher.allow_low_quality_matches is False
    assert retinanet(3, backbone="mobilenet_v3_large").matcher.allow_low_quality_matches is True
