"""RetinaNet: hand-computed losses, builders on every backbone family, input checks."""

import math

import pytest
import torch
import torchvision

from detseg.detection.retinanet import RETINANET_MODELS, retinanet, retinanet_anchor_sizes
from detseg.detection.retinanet_head import retinanet_box_loss, retinanet_cls_loss
from detseg.ops.box_coder import BoxCoder
from detseg.ops.matching import Matcher

BELOW, BETWEEN = Matcher.BELOW_LOW_THRESHOLD, Matcher.BETWEEN_THRESHOLDS


def _targets(*labels_per_image):
    out = []
    for labels in labels_per_image:
        n = len(labels)
        boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0]] * n).reshape(n, 4)
        out.append({"boxes": boxes, "labels": torch.tensor(labels, dtype=torch.int64)})
    return out


def test_focal_loss_normalised_per_image_by_foreground():
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 3)  # 2 images, 4 anchors, K=3
    matched = torch.tensor([[0, 1, BETWEEN, BELOW], [BELOW, BELOW, BETWEEN, BELOW]])
    targets = _targets([3, 1], [])
    loss = retinanet_cls_loss(logits, matched, targets)

    one_hot = torch.zeros(4, 3)
    one_hot[0, 2] = one_hot[1, 0] = 1.0  # label 3 -> column 2, label 1 -> column 0
    focal = torchvision.ops.sigmoid_focal_loss
    image0 = focal(logits[0, [0, 1, 3]], one_hot[[0, 1, 3]], reduction="sum") / 2
    image1 = focal(logits[1, [0, 1, 3]], torch.zeros(3, 3), reduction="sum") / 1
    torch.testing.assert_close(loss, (image0 + image1) / 2)


@pytest.mark.parametrize("kind", ["l1", "smooth_l1", "giou"])
def test_box_loss_hand_computed_and_exact_zero_without_foreground(kind):
    anchors = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 40.0, 40.0]])
    deltas = torch.zeros(2, 2, 4, requires_grad=True)
    targets = [
        {"boxes": torch.tensor([[0.0, 0.0, 10.0, 20.0]]), "labels": torch.tensor([1])},
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    matched = torch.tensor([[0, BELOW], [BELOW, BELOW]])
    loss = retinanet_box_loss(deltas, anchors, matched, targets, BoxCoder(), kind, beta=1.0)
    # anchor 0 -> gt: dx = 0, dy = (10 - 5) / 10 = 0.5, dw = 0, dh = log(2)
    dy, dh = 0.5, math.log(2.0)
    expected = {
        "l1": dy + dh,
        "smooth_l1": 0.5 * dy**2 + 0.5 * dh**2,
        "giou": 1 - 100 / 200,  # pred = anchor (area 100) inside gt (area 200)
    }[kind]
    torch.testing.assert_close(loss, torch.tensor(expected / 2))  # 1 fg in image 0, 2 images
    empty = retinanet_box_loss(
        deltas, anchors, torch.full((2, 2), BELOW), targets, BoxCoder(), kind
    )
    assert empty.item() == 0.0
    empty.backward()


def test_anchor_sizes_match_torchvision_octaves():
    sizes = retinanet_anchor_sizes([8, 16, 32, 64, 128])
    expected = tuple(
        (x, int(x * 2 ** (1 / 3)), int(x * 2 ** (2 / 3))) for x in (32, 64, 128, 256, 512)
    )
    assert sizes == expected


def _check_model(model, num_classes):
    torch.manual_seed(0)
    images = [torch.rand(3, 72, 96), torch.rand(3, 80, 64)]
    targets = [
        {
            "boxes": torch.tensor([[5.0, 6.0, 50.0, 60.0], [30.0, 10.0, 90.0, 40.0]]),
            "labels": torch.tensor([1, num_classes]),
        },
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    model.train()
    losses = model.losses(images, targets)
    assert set(losses) == {"loss_cls", "loss_box"}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert trainable
    missing = [n for n, p in trainable if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, missing
    negatives = model.losses(images, [targets[1], targets[1]])
    assert negatives["loss_box"].item() == 0.0
    assert negatives["loss_cls"].item() > 0.0  # negatives still train the classifier
    model.eval()
    with torch.no_grad():
        detections = model.predict(images)
    for det, image in zip(detections, images, strict=True):
        # the head's prior bias scores every anchor ~0.01: about half of the thousands pass
        # score_thresh=0.01, so the per-image cap is what limits the detections
        assert det["boxes"].shape == (20, 4) and det["scores"].shape == det["labels"].shape == (20,)
        assert det["labels"].min() >= 1 and det["labels"].max() <= num_classes
        # clipped to the resized image, then mapped back with float32 ratios
        assert (det["boxes"] >= 0).all()
        assert (det["boxes"][:, 2] <= image.shape[2] + 1e-3).all()
        assert (det["boxes"][:, 3] <= image.shape[1] + 1e-3).all()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"backbone": "resnet18", "box_loss": "smooth_l1"},
        {"backbone": "resnet18", "box_loss": "giou", "head_norm": "group", "p6p7_from": "c5"},
        {"backbone": "mobilenet_v3_large", "box_loss": "l1", "width_mult": 0.5, "head_convs": 2},
        {"backbone": "vgg16", "fpn_channels": 64},
    ],
    ids=["resnet18", "resnet18-v2", "mobilenet", "vgg16"],
)
def test_builder_trains_and_predicts_on_every_backbone_family(kwargs):
    channels = kwargs.pop("fpn_channels", 64)
    model = retinanet(
        3,
        min_size=64,
        max_size=96,
        fpn_channels=channels,
        score_thresh=0.01,
        detections_per_img=20,
        **kwargs,
    )
    _check_model(model, 3)


def test_presets_and_bad_inputs():
    assert set(RETINANET_MODELS) == {
        "retinanet",
        "retinanet_resnet50_fpn",
        "retinanet_resnet50_fpn_v2",
    }
    model = RETINANET_MODELS["retinanet_resnet50_fpn_v2"](2, min_size=64, max_size=64)
    assert model.config.box_loss == "giou"
    assert model.backbone.fpn.extra_blocks.source == "c5"
    bad = [{"boxes": torch.tensor([[10.0, 10.0, 5.0, 20.0]]), "labels": torch.tensor([1])}]
    with pytest.raises(ValueError, match="box 0"):
        model.losses([torch.rand(3, 64, 64)], bad)
    with pytest.raises(ValueError, match="box_loss"):
        retinanet(2, backbone="resnet18", box_loss="iou")
    with pytest.raises(ValueError, match="backbone"):
        retinanet(2, backbone="alexnet")
    with pytest.raises(ValueError, match="head_convs"):
        retinanet(2, backbone="resnet18", head_convs=-1)


def test_head_depth_and_norm_momentum():
    model = retinanet(2, backbone="mobilenet_v3_large", width_mult=0.5, head_convs=2)
    assert len(model.head.cls_convs) == len(model.head.box_convs) == 2
    norms = [m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert {m.momentum for m in norms} == {0.1}  # from scratch (torchvision's MobileNet: 0.01)
    assert len(RETINANET_MODELS["retinanet_resnet50_fpn"](2).head.cls_convs) == 4
