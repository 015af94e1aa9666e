"""Mask R-CNN pieces: pasting and mask targets by hand and against torchvision's functions, the
mask loss, the class-agnostic head, negative images, mask checks and the builders."""

from __future__ import annotations

import pytest
import torch
from tiny_mask_rcnn import SMALL_MASK_RCNN
from torchvision.models.detection import roi_heads as tv_roi_heads

from detseg.detection import mask_head
from detseg.detection.mask_head import (
    mask_rcnn_loss,
    paste_masks_in_image,
    project_masks_on_boxes,
)
from detseg.detection.mask_rcnn import MaskRCNN, mask_rcnn
from detseg.models import MODELS, build_model

SMALL = {
    **SMALL_MASK_RCNN,
    "rpn": {"pre_nms_top_n_train": 100, "post_nms_top_n_train": 30, "post_nms_top_n_test": 30},
    "roi_heads": {"batch_size_per_image": 32, "detections_per_img": 10, "score_thresh": 0.0},
}


def _small_model(**kwargs) -> MaskRCNN:
    torch.manual_seed(0)
    return mask_rcnn(3, **{**SMALL, **kwargs})


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.rand(3, 64, 80, generator=generator), torch.rand(3, 72, 64, generator=generator)]


def _target_with_masks() -> dict[str, torch.Tensor]:
    masks = torch.zeros(2, 64, 80, dtype=torch.uint8)
    masks[0, 6:50, 4:40] = 1
    masks[1, 10:60, 30:78] = 1
    return {
        "boxes": torch.tensor([[4.0, 6.0, 40.0, 50.0], [30.0, 10.0, 78.0, 60.0]]),
        "labels": torch.tensor([1, 3]),
        "masks": masks,
    }


def _negative(mask_size: tuple[int, int] | None = (72, 64)) -> dict[str, torch.Tensor]:
    """A target without boxes, with ``UInt8[0, H, W]`` masks (none when ``mask_size=None``)."""
    target = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    if mask_size is not None:
        target["masks"] = torch.zeros(0, *mask_size, dtype=torch.uint8)
    return target


def test_paste_by_hand():
    # a 2x2 mask of ones, padded to [0 1 1 0], box [2, 6] expanded x2 about its centre to
    # pixels 0..8; bilinear sampling of the padded row at (j + 0.5) * 4/9 - 0.5 gives:
    profile = torch.tensor([0, 1 / 6, 11 / 18, 1, 1, 1, 11 / 18, 1 / 6, 0, 0])
    pasted = paste_masks_in_image(torch.ones(1, 1, 2, 2), torch.tensor([[2.0, 2, 6, 6]]), (10, 10))
    assert pasted.shape == (1, 1, 10, 10)
    torch.testing.assert_close(pasted[0, 0], profile[:, None] * profile[None], atol=1e-6, rtol=0)


def test_paste_matches_torchvision():
    generator = torch.Generator().manual_seed(0)
    masks = torch.rand(6, 1, 28, 28, generator=generator)
    boxes = torch.tensor(
        [
            [10.3, 5.7, 60.2, 40.9],  # inside
            [0.0, 0.0, 30.0, 20.0],  # at the top-left corner: the expansion leaves the image
            [70.5, 40.0, 90.0, 50.0],  # at the right border
            [33.0, 33.0, 33.4, 33.2],  # under a pixel: one-pixel resize target
            [5.0, 20.0, 85.0, 49.9],  # wider than tall
            [40.0, 0.0, 41.0, 50.0],  # a thin sliver
        ]
    )
    want = tv_roi_heads.paste_masks_in_image(masks, boxes, (50, 90))
    have = paste_masks_in_image(masks, boxes, (50, 90))
    assert have.shape == want.shape == (6, 1, 50, 90)
    torch.testing.assert_close(have, want, atol=1e-6, rtol=0)
    assert torch.equal(have != 0, want != 0)  # the same support
    assert paste_masks_in_image(masks[:0], boxes[:0], (50, 90)).shape == (0, 1, 50, 90)


def test_paste_in_row_blocks_is_the_same(monkeypatch):
    # blocks of 7 image rows: blocks that straddle two masks, and a shorter last block
    generator = torch.Generator().manual_seed(1)
    masks = torch.rand(5, 1, 28, 28, generator=generator)
    xy = torch.rand(5, 2, generator=generator) * torch.tensor([80.0, 40.0])
    boxes = torch.cat([xy, xy + 3 + torch.rand(5, 2, generator=generator) * 40], dim=1)
    whole = paste_masks_in_image(masks, boxes, (50, 90))
    monkeypatch.setattr(mask_head, "_PASTE_BLOCK_ELEMENTS", {"cpu": 7 * 90})
    assert torch.equal(paste_masks_in_image(masks, boxes, (50, 90)), whole)
    want = tv_roi_heads.paste_masks_in_image(masks, boxes, (50, 90))
    torch.testing.assert_close(whole, want, atol=1e-6, rtol=0)
    assert torch.equal(whole != 0, want != 0)
    half = paste_masks_in_image(masks.bfloat16(), boxes, (50, 90))
    assert half.dtype == torch.bfloat16 and half.shape == whole.shape


def test_mask_loss_uses_the_sampled_matches():
    """The box stage matches RoIs to gt boxes once a step; the mask targets use its matches."""
    model = _small_model().train()
    heads = model.roi_heads
    matches, samples, mask_matches = [], [], []
    matcher, sample, mask_losses = heads.matcher, heads.sample, model.mask_head.losses

    def counting_matcher(*args, **kwargs):
        matches.append(args)
        return matcher(*args, **kwargs)

    def recording_sample(*args, **kwargs):
        samples.append(sample(*args, **kwargs))
        return samples[-1]

    def recording_mask_losses(features, rois, labels, matched_gt, *args, **kwargs):
        mask_matches.append(matched_gt)
        return mask_losses(features, rois, labels, matched_gt, *args, **kwargs)

    heads.matcher = counting_matcher
    heads.sample = recording_sample
    model.mask_head.losses = recording_mask_losses
    losses = model.losses(_images(), [_target_with_masks(), _negative()])
    assert len(matches) == len(samples) == len(mask_matches) == 1
    assert mask_matches[0] is samples[0].matched_gt
    foreground = samples[0].labels > 0
    assert foreground[0].any() and not foreground[1].any()
    assert losses["loss_roi_mask"] > 0


def test_mask_targets_match_torchvision_on_resized_masks():
    generator = torch.Generator().manual_seed(0)
    gt = (torch.rand(3, 40, 50, generator=generator) > 0.5).to(torch.uint8)
    boxes = torch.tensor([[3.0, 4.0, 30.0, 40.0], [10.0, 0.0, 60.0, 20.5], [0.0, 0.0, 62.0, 50.0]])
    matched = torch.tensor([2, 0, 2])
    have = project_masks_on_boxes(gt, (50, 62), boxes, matched, 28)
    # torchvision's transform resizes target masks (nearest) with the image, then projects
    resized = torch.nn.functional.interpolate(gt[:, None].float(), size=(50, 62))[:, 0].byte()
    want = tv_roi_heads.project_masks_on_boxes(resized, boxes, matched, 28)
    assert have.shape == (3, 28, 28)
    torch.testing.assert_close(have, want, atol=0, rtol=0)
    assert project_masks_on_boxes(gt, (50, 62), boxes[:0], matched[:0], 28).shape == (0, 28, 28)


def test_mask_loss_uses_the_label_channel():
    logits = torch.full((2, 4, 3, 3), 50.0)
    logits[0, 2] = 0.0  # BCE(0, t) = log 2 for any target t
    logits[1, 1] = 0.0
    targets = torch.rand(2, 3, 3)
    loss = mask_rcnn_loss(logits, torch.tensor([2, 1]), targets)
    torch.testing.assert_close(loss, torch.tensor(2.0).log())
    wrong = mask_rcnn_loss(logits, torch.tensor([3, 3]), targets)
    assert wrong > 10
    empty = mask_rcnn_loss(
        logits[:0].requires_grad_(), torch.zeros(0, dtype=torch.int64), targets[:0]
    )
    assert empty.item() == 0.0 and empty.requires_grad


def test_class_agnostic_head_shapes():
    model = _small_model(mask_class_agnostic=True)
    assert model.mask_head.logits.out_channels == 1
    assert _small_model().mask_head.logits.out_channels == 4  # K + 1
    model.train()
    losses = model.losses(_images(), [_target_with_masks(), _negative()])
    assert losses["loss_roi_mask"] > 0
    losses["loss_roi_mask"].backward()
    assert model.mask_head.logits.weight.grad is not None
    model.eval()
    with torch.no_grad():
        predictions = model.predict(_images())
    for prediction, image in zip(predictions, _images(), strict=True):
        num = prediction["boxes"].shape[0]
        assert num > 0
        assert prediction["masks"].shape == (num, 1, *image.shape[-2:])
        assert prediction["masks"].dtype == torch.float32
        assert 0 <= prediction["masks"].min() and prediction["masks"].max() <= 1


def test_negative_images_train():
    model = _small_model().train()
    # a negative image may omit its masks (there is nothing to mask)
    mixed = model.losses(_images(), [_target_with_masks(), _negative(None)])
    assert mixed["loss_roi_mask"] > 0
    only = model.losses(_images(), [_negative((64, 80)), _negative(None)])
    assert set(only) == set(mixed)
    assert only["loss_roi_mask"].item() == 0.0 and only["loss_roi_box"].item() == 0.0
    assert torch.isfinite(only["loss_roi_cls"])
    sum(only.values()).backward()  # the zero mask loss stays attached to the graph
    assert model.mask_head.logits.weight.grad is not None


def test_masks_are_checked():
    model = _small_model().train()
    without = {k: v for k, v in _target_with_masks().items() if k != "masks"}
    with pytest.raises(ValueError, match="image 0 has no 'masks'"):
        model.losses(_images(), [without, _negative()])
    wrong = {
        "boxes": torch.tensor([[1.0, 1.0, 9.0, 9.0]]),
        "labels": torch.tensor([1]),
        "masks": torch.zeros(1, 64, 80, dtype=torch.uint8),
    }
    with pytest.raises(ValueError, match=r"image 1: masks must be \[N, H, W\] = \[1, 72, 64\]"):
        model.losses(_images(), [_target_with_masks(), wrong])


def test_builders_are_registered_and_checked():
    assert {"mask_rcnn", "mask_rcnn_resnet50_fpn", "mask_rcnn_resnet50_fpn_v2"} <= set(MODELS)
    with torch.device("meta"):
        model = build_model(
            {"name": "mask_rcnn_resnet50_fpn_v2", "mask_threshold": 0.3, "min_size": 320}, 4
        )
    assert isinstance(model, MaskRCNN) and model.has_masks and model.task == "detection"
    assert model.mask_threshold == 0.3 and model.transform.min_size == (320,)
    norms = [m for m in model.mask_head.convs.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(norms) == 4 and model.mask_head.convs[0][0].bias is None
    assert model.mask_head.logits.out_channels == 5
    with pytest.raises(ValueError, match="did you mean 'mask_threshold'"):
        build_model({"name": "mask_rcnn", "mask_treshold": 0.3}, 4)
    with pytest.raises(ValueError, match="mask norm='gn'"):
        _small_model(mask_norm="gn")
