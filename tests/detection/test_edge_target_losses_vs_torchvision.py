"""Training losses of converted models on edge-case targets, against their torchvision twins.

Faster R-CNN (MobileNetV3 320 FPN at 160 px, random weights) on one batch of three sizes
holding duplicate gt boxes with different labels, 1-2 px boxes, boxes on the border and one
covering the whole image, and a negative image. Two places where detseg differs from
torchvision on purpose are pinned down:

- no RoI sampled in the whole batch (no proposal passes the RPN's score threshold and no image
  has a gt box): torchvision's Fast R-CNN losses are a mean over nothing (NaN); detseg's are 0;
- SSD with more positives than its negatives allow (``3 * P`` above the negatives of an image):
  torchvision's hard-negative quota then takes positives too and counts their loss twice;
  detseg counts each positive once (:func:`detseg.ops.matching.hard_negative_mining`).
"""

from __future__ import annotations

import torch
from torch.nn.functional import cross_entropy
from torchvision.models import detection as tvd

from detseg.detection.single_stage import match_anchors, matched_values
from detseg.models import from_torchvision

NAMES = {
    "loss_rpn_cls": "loss_objectness",
    "loss_rpn_box": "loss_rpn_box_reg",
    "loss_roi_cls": "loss_classifier",
    "loss_roi_box": "loss_box_reg",
}


def _target(boxes: list[list[float]], labels: list[int]) -> dict[str, torch.Tensor]:
    return {
        "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        "labels": torch.tensor(labels, dtype=torch.int64),
    }


def _twin(**settings) -> torch.nn.Module:
    torch.manual_seed(0)
    return tvd.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None,
        weights_backbone=None,
        num_classes=4,
        min_size=160,
        max_size=320,
        rpn_post_nms_top_n_train=300,
        rpn_batch_size_per_image=64,
        box_batch_size_per_image=64,
        **settings,
    ).train()


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return [
        torch.rand(3, 160, 200, generator=generator),
        torch.rand(3, 224, 180, generator=generator),
        torch.rand(3, 60, 200, generator=generator),
    ]


def _losses(model, tv_model, images, targets, seed=3):
    torch.manual_seed(seed)
    want = tv_model(images, targets)
    torch.manual_seed(seed)
    return model.losses(images, targets), want


def test_faster_rcnn_edge_targets_give_torchvisions_losses():
    tv_model = _twin()
    model = from_torchvision(tv_model)
    images = _images()
    edge = [
        _target(
            [[10, 20, 90, 120]] * 3  # duplicates, three labels
            + [[50, 50, 51, 51], [70, 80, 72, 82]]  # 1 and 2 px
            + [[0, 0, 200, 160], [150, 0, 200, 60]],  # whole image, on the border
            [1, 2, 3, 1, 2, 3, 1],
        ),
        _target([], []),
        _target([[0, 5, 100, 60], [150, 0, 200, 60]], [2, 3]),
    ]
    have, want = _losses(model, tv_model, images, edge)
    for ours, theirs in NAMES.items():
        torch.testing.assert_close(have[ours], want[theirs], rtol=1e-5, atol=1e-6, msg=ours)
    assert all(torch.isfinite(v) for v in have.values())


def test_without_any_sampled_roi_the_fast_rcnn_losses_are_zero_not_nan():
    tv_model = _twin(rpn_score_thresh=0.9)  # random weights: every objectness is about 0.5
    model = from_torchvision(tv_model)
    empty = [_target([], []), _target([], [])]
    have, want = _losses(model, tv_model, _images()[:2], empty)
    assert torch.isnan(want["loss_classifier"])  # torchvision: a mean over no RoI
    assert have["loss_roi_cls"].item() == have["loss_roi_box"].item() == 0.0
    torch.testing.assert_close(have["loss_rpn_cls"], want["loss_objectness"])
    assert have["loss_rpn_box"].item() == want["loss_rpn_box_reg"].item() == 0.0
    sum(have.values()).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_ssd_counts_each_positive_once_where_torchvision_counts_some_twice():
    torch.manual_seed(0)
    tv_model = tvd.ssdlite320_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=5
    ).train()
    model = from_torchvision(tv_model)
    generator = torch.Generator().manual_seed(1)
    images = [torch.rand(3, 160, 200, generator=generator) for _ in range(2)]
    xy = torch.rand(500, 2, generator=generator) * torch.tensor([150.0, 110.0])
    crowded = torch.cat([xy, xy + 4 + torch.rand(500, 2, generator=generator) * 45], 1)
    targets = [
        {"boxes": crowded, "labels": torch.randint(1, 4, (500,), generator=generator)},
        _target([[5, 5, 60, 150]], [2]),
    ]
    want = tv_model(images, targets)
    have = model.losses(images, targets)
    torch.testing.assert_close(have["loss_box"], want["bbox_regression"], rtol=1e-5, atol=1e-6)

    # torchvision's sum, rebuilt from detseg's per-anchor cross-entropy
    batch, resized = model.transform(images, targets)
    outputs, anchors, _ = model._run(batch.tensors)
    matched = match_anchors(model.matcher, resized, anchors)
    positive = matched >= 0
    labels = torch.where(positive, matched_values(resized, matched, "labels"), 0)
    logits = outputs["cls_logits"]
    ce = cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="none").view_as(labels)
    ranked = ce.detach().masked_fill(positive, -float("inf")).sort(1, descending=True)[1]
    quota = ranked.sort(1)[1] < 3 * positive.sum(1, keepdim=True)
    twice = quota & positive
    assert twice.any()  # the first image has more positives than a third of its negatives
    num_pos = positive.sum()
    torch.testing.assert_close(
        have["loss_cls"] + ce[twice].sum() / num_pos, want["classification"], rtol=1e-5, atol=1e-5
    )
    assert have["loss_cls"] < want["classification"]
