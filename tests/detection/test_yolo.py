"""YOLO v1 / v3: losses on hand-made cases, model API, gradients, and a short overfit."""

from __future__ import annotations

import inspect
import math
from collections import OrderedDict

import pytest
import torch
from torch import nn

from detseg.detection.transform import DetectionTransform
from detseg.detection.yolo import (
    YOLO,
    YOLO_MODELS,
    YOLOInferenceConfig,
    YOLOv1GridHead,
    YOLOv3Head,
    yolo,
)
from detseg.detection.yolo_loss import YOLOv1LossConfig, YOLOv3LossConfig, yolov1_loss, yolov3_loss
from detseg.detection.yolo_targets import (
    assign_yolov1_targets,
    assign_yolov3_per_image,
    yolov3_ignore_mask_per_image,
)
from detseg.ops.boxes import box_iou
from detseg.ops.yolo_priors import decode_yolov1_boxes, decode_yolov3_boxes, yolo_grid_priors

EMPTY = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}


def _v1_case():
    """S = 2, P = 2, K = 2 over an 8 x 8 input; one object (0, 0, 4, 4) of label 2."""
    target = {"boxes": torch.tensor([[0.0, 0.0, 4.0, 4.0]]), "labels": torch.tensor([2])}
    boxes = torch.full((1, 2, 2, 2, 4), 0.5)
    boxes[0, 0, 0, 0] = torch.tensor([0.5, 0.5, 0.5, 0.5])  # box (1, 1, 3, 3): IoU 0.25
    s = math.sqrt(0.5)
    boxes[0, 0, 0, 1] = torch.tensor([0.25, 0.5, s, s])  # box (-1, 0, 3, 4): IoU 0.6
    confidence = torch.full((1, 2, 2, 2), 0.1)
    confidence[0, 0, 0] = torch.tensor([0.3, 0.7])
    class_probs = torch.full((1, 2, 2, 2), 0.5)
    class_probs[0, 0, 0] = torch.tensor([0.3, 0.7])
    return boxes, confidence, class_probs, target


def test_yolov1_loss_hand_computed():
    boxes, confidence, class_probs, target = _v1_case()
    dense = assign_yolov1_targets([target], 2, (8, 8))
    decoded = decode_yolov1_boxes(boxes, (8, 8))
    losses = yolov1_loss(boxes, confidence, class_probs, decoded, dense, YOLOv1LossConfig())
    # predictor 1 is responsible (IoU 0.6 > 0.25); targets (0.5, 0.5, sqrt .5, sqrt .5)
    # box: 5 * (0.25 - 0.5)^2 = 0.3125
    # obj: (0.7 - 0.6)^2 + 0.5 * (0.3^2 + 6 * 0.1^2) = 0.01 + 0.075 = 0.085
    # cls: (0.3 - 0)^2 + (0.7 - 1)^2 = 0.18
    torch.testing.assert_close(losses["loss_box"], torch.tensor(0.3125))
    torch.testing.assert_close(losses["loss_obj"], torch.tensor(0.085))
    torch.testing.assert_close(losses["loss_cls"], torch.tensor(0.18))
    no_rescore = yolov1_loss(
        boxes, confidence, class_probs, decoded, dense, YOLOv1LossConfig(rescore=False)
    )
    # (0.7 - 1)^2 + 0.075 = 0.165
    torch.testing.assert_close(no_rescore["loss_obj"], torch.tensor(0.165))


def test_yolov1_loss_averages_over_batch_with_an_empty_image():
    boxes, confidence, class_probs, target = _v1_case()
    boxes = torch.cat((boxes, torch.full_like(boxes, 0.5)))
    confidence = torch.cat((confidence, torch.full_like(confidence, 0.2)))
    class_probs = torch.cat((class_probs, torch.full_like(class_probs, 0.5)))
    dense = assign_yolov1_targets([target, EMPTY], 2, (8, 8))
    decoded = decode_yolov1_boxes(boxes, (8, 8))
    losses = yolov1_loss(boxes, confidence, class_probs, decoded, dense, YOLOv1LossConfig())
    # the empty image adds 0.5 * 8 * 0.2^2 = 0.16 to obj; everything divided by B = 2
    torch.testing.assert_close(losses["loss_box"], torch.tensor(0.3125 / 2))
    torch.testing.assert_close(losses["loss_obj"], torch.tensor((0.085 + 0.16) / 2))
    torch.testing.assert_close(losses["loss_cls"], torch.tensor(0.18 / 2))


def _v3_case(box_loss: str) -> dict[str, torch.Tensor]:
    """One level 2 x 2, stride 4, prior (4, 4), K = 1; one object (0, 0, 4, 4) in cell 0."""
    priors = yolo_grid_priors((2, 2), 4, torch.tensor([[4.0, 4.0]]))
    raw = torch.zeros(1, 4, 6)
    raw[0, 0, 2] = math.log(2.0)  # positive: box (-2, 0, 6, 4): IoU 0.5 = GIoU
    raw[0, 1, 0] = torch.logit(torch.tensor(0.25))  # cell x=1: centre x (1 + .25) * 4 = 5
    raw[0, 1, 2] = math.log(2.5)  # width 10: box (0, 0, 10, 4), IoU 0.4 -> ignored at 0.3
    raw[0, 1, 4] = 3.0  # would be a large negative loss if not ignored
    raw[0, 3, 4] = -2.0
    target = {"boxes": torch.tensor([[0.0, 0.0, 4.0, 4.0]]), "labels": torch.tensor([1])}
    decoded = decode_yolov3_boxes(raw[..., :4], priors)
    matched = assign_yolov3_per_image(target["boxes"], [torch.tensor([[4.0, 4.0]])], [4], [(2, 2)])
    ignore = yolov3_ignore_mask_per_image(decoded[0], target["boxes"], matched, 0.3)
    assert matched.tolist() == [0, -1, -1, -1] and ignore.tolist() == [False, True, False, False]
    config = YOLOv3LossConfig(box_loss=box_loss, ignore_thresh=0.3)
    boxes, labels = target["boxes"][None], target["labels"][None]  # one image, padded
    return yolov3_loss(raw, priors, decoded, matched[None], ignore[None], boxes, labels, config)


def test_yolov3_loss_hand_computed_giou():
    losses = _v3_case("giou")
    torch.testing.assert_close(losses["loss_box"], torch.tensor(0.5))
    # obj: BCE(0, 1) + BCE(0, 0) [row 2] + BCE(-2, 0) [row 3]; row 1 ignored
    expected_obj = 2 * math.log(2.0) + math.log(1 + math.exp(-2.0))
    torch.testing.assert_close(losses["loss_obj"], torch.tensor(expected_obj))
    torch.testing.assert_close(losses["loss_cls"], torch.tensor(math.log(2.0)))


def test_yolov3_loss_hand_computed_smooth_l1():
    losses = _v3_case("smooth_l1")
    # targets (0.5, 0.5, 0, 0) vs (sigmoid 0, sigmoid 0, log 2, 0): |d| = log 2 > beta = 1/9
    torch.testing.assert_close(losses["loss_box"], torch.tensor(math.log(2.0) - 0.5 / 9))


class TinyBackbone(nn.Module):
    """Three stride-2 stages after a stride-4 stem: c3 (8), c4 (16), c5 (32)."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 3, 2, 1), nn.ReLU(), nn.Conv2d(width, width, 3, 2, 1), nn.ReLU()
        )
        self.stages = nn.ModuleList(
            nn.Sequential(nn.Conv2d(width, width, 3, 2, 1), nn.ReLU()) for _ in range(3)
        )
        self.out_channels = {"c3": width, "c4": width, "c5": width}
        self.strides = {"c3": 8, "c4": 16, "c5": 32}

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
        x, out = self.stem(x), OrderedDict()
        for name, stage in zip(self.out_channels, self.stages, strict=True):
            x = stage(x)
            out[name] = x
        return out


def _tiny_model(version: str) -> YOLO:
    backbone = TinyBackbone()
    transform = DetectionTransform(64, 64, fixed_size=(64, 64))
    if version == "v1":
        head = YOLOv1GridHead(16, 2, grid_size=4, boxes_per_cell=2, head_channels=32)
        return YOLO(backbone, head, transform, ["c5"], YOLOInferenceConfig(score_thresh=0.0))
    priors = [
        [[8, 8], [12, 12], [16, 16]],
        [[20, 20], [28, 28], [36, 36]],
        [[44, 44], [52, 52], [60, 60]],
    ]
    # box_weight 5 (v1's lambda_coord): the objectness sum over ~250 cells per image otherwise
    # dominates this 16-channel network's few steps
    head = YOLOv3Head(
        [16] * 3,
        [8, 16, 32],
        priors,
        2,
        neck_channels=32,
        head_channels=32,
        loss_config=YOLOv3LossConfig(box_weight=5.0),
    )
    return YOLO(
        backbone, head, transform, ["c3", "c4", "c5"], YOLOInferenceConfig(score_thresh=0.0)
    )


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_overfit_two_images(version):
    torch.manual_seed(0)
    model = _tiny_model(version)
    images = torch.zeros(2, 3, 64, 64)
    images[0, :, 8:40, 12:36] = 1.0
    images[1, 0, 30:60, 20:60] = 1.0
    targets = [
        {"boxes": torch.tensor([[12.0, 8.0, 36.0, 40.0]]), "labels": torch.tensor([1])},
        {"boxes": torch.tensor([[20.0, 30.0, 60.0, 60.0]]), "labels": torch.tensor([2])},
    ]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(40):
        total = sum(model.losses(images, targets).values())
        first = first if first is not None else total.item()
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    assert total.item() < 0.25 * first
    model.eval()
    with torch.no_grad():
        detections = model.predict(images)
    for det, target in zip(detections, targets, strict=True):
        assert det["labels"][0] == target["labels"][0]
        assert box_iou(det["boxes"][:1], target["boxes"])[0, 0] > 0.5


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_builder_gradients_empty_targets_and_predict(version):
    torch.manual_seed(0)
    model = yolo(
        3,
        backbone="resnet18",
        version=version,
        input_size=64,
        head_channels=16,
        inference={"score_thresh": 0.0},
        **({"grid_size": 3} if version == "v1" else {"neck_channels": 16}),
    )
    images = [torch.rand(3, 50, 80), torch.rand(3, 70, 60)]
    targets = [
        {
            "boxes": torch.tensor([[5.0, 5.0, 40.0, 30.0], [50.0, 20.0, 78.0, 48.0]]),
            "labels": torch.tensor([1, 3]),
        },
        EMPTY,
    ]
    losses = model.losses(images, targets)
    assert set(losses) == {"loss_box", "loss_obj", "loss_cls"}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    no_grad = [
        n
        for n, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.abs().sum() > 0)
    ]
    assert no_grad == []
    empty = model.losses(images[1:], [EMPTY])
    assert empty["loss_box"].item() == 0.0 and empty["loss_cls"].item() == 0.0
    assert empty["loss_obj"].item() > 0
    model.eval()
    with torch.no_grad():
        detections = model(images)
    for det, image in zip(detections, images, strict=True):
        assert det["boxes"].shape[1] == 4 and det["boxes"].shape[0] == det["scores"].shape[0] > 0
        assert det["labels"].min() >= 1 and det["labels"].max() <= 3
        assert (det["scores"][:-1] >= det["scores"][1:]).all()
        height, width = image.shape[-2:]
        assert (det["boxes"][:, 2] <= width + 1e-3).all()
        assert (det["boxes"][:, 3] <= height + 1e-3).all()


def test_bad_box_raises_naming_it():
    model = yolo(2, version="v3", input_size=64)
    bad = {"boxes": torch.tensor([[10.0, 10.0, 5.0, 20.0]]), "labels": torch.tensor([1])}
    with pytest.raises(ValueError, match="image 1: box 0"):
        model.losses([torch.rand(3, 64, 64)] * 2, [EMPTY, bad])


@pytest.mark.parametrize("backbone", ["vgg16", "mobilenet_v3_large"])
def test_other_backbones(backbone):
    model = yolo(
        2, backbone=backbone, version="v3", input_size=64, neck_channels=16, head_channels=16
    )
    strides = list(model.head.strides)
    assert strides == ([4.0, 8.0, 16.0] if backbone == "vgg16" else [8.0, 16.0, 32.0])
    target = {"boxes": torch.tensor([[5.0, 5.0, 40.0, 30.0]]), "labels": torch.tensor([2])}
    losses = model.losses(torch.rand(1, 3, 64, 64), [target])
    assert all(torch.isfinite(v) for v in losses.values())


def test_builder_validation():
    with pytest.raises(ValueError, match="version"):
        yolo(2, version="v5")
    with pytest.raises(ValueError, match="3 levels"):
        yolo(2, version="v3", input_size=64, anchors=[[[10, 10]], [[20, 20]]])
    with pytest.raises(ValueError, match="ignore_tresh.*ignore_thresh"):
        yolo(2, version="v3", input_size=64, loss={"ignore_tresh": 0.6})
    with pytest.raises(ValueError, match="box_loss"):
        yolo(2, version="v3", input_size=64, loss={"box_loss": "l2"})
    with pytest.raises(ValueError, match="assign_thresh"):
        yolo(2, version="v3", input_size=64, loss={"assign_thresh": 1.5})


def test_custom_anchors_and_presets():
    model = yolo(
        2, version="v3", input_size=64, anchors=[[[4, 5]], [[10, 12]], [[30, 20], [40, 50]]]
    )
    assert [p.tolist() for p in model.head.priors_per_level()] == [
        [[4.0, 5.0]],
        [[10.0, 12.0]],
        [[30.0, 20.0], [40.0, 50.0]],
    ]
    assert set(YOLO_MODELS) >= {"yolo", "yolov1_resnet18", "yolov3_resnet18"}
    params = inspect.signature(YOLO_MODELS["yolov1_resnet18"]).parameters
    assert params["version"].default == "v1" and params["input_size"].default == 448
    v1 = YOLO_MODELS["yolov1_resnet18"](2, input_size=64)
    assert isinstance(v1.head, YOLOv1GridHead) and v1.transform.fixed_size == (64, 64)
    assert v1.task == "detection" and v1.num_classes == 2


def test_norm_momentum_and_width_mult():
    def momenta(model):
        return {m.momentum for m in model.backbone.modules() if isinstance(m, nn.BatchNorm2d)}

    # torchvision's MobileNetV3 builds momentum 0.01: from scratch the builder sets 0.1
    mobilenet = yolo(2, backbone="mobilenet_v3_large", width_mult=0.5, input_size=64)
    assert momenta(mobilenet) == {0.1}
    assert mobilenet.backbone.out_channels["c5"] == 480  # 960 x 0.5
    assert momenta(yolo(2, version="v1", input_size=64, norm_momentum=0.03)) == {0.03}
    with pytest.raises(ValueError, match="width_mult=0.5 needs a MobileNet"):
        yolo(2, backbone="resnet18", width_mult=0.5, input_size=64)
