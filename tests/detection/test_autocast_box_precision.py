"""Detectors under bfloat16 autocast return float32 boxes and scores, decoded in float32.
(Mask R-CNN's mask probabilities stay in the autocast dtype.)

bfloat16 keeps 8 significant bits: a box coordinate near 100 px moves in steps of 0.5 px, near
800 px in steps of 4 px. Each test runs a tiny detector (random weights) under CPU autocast,
records the outputs of its heads, then runs it again in float32 with those (bfloat16-valued)
outputs cast to float32 in place of the heads' own: the detections must be the same, exactly.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
from torch import Tensor, nn
from torch.utils._pytree import tree_leaves, tree_map

from detseg.backbones import Backbone
from detseg.detection.faster_rcnn import faster_rcnn
from detseg.detection.mask_rcnn import mask_rcnn
from detseg.detection.retinanet import retinanet
from detseg.detection.ssd import ssd
from detseg.detection.yolo_heads import YOLOv1GridHead, YOLOv3Head
from detseg.ops.yolo_priors import decode_yolov1_boxes, decode_yolov3_boxes

SIZE = 160
TWO_STAGE = {
    "min_size": SIZE,
    "max_size": SIZE,
    "fpn_channels": 8,
    "representation_size": 16,
    "rpn": {"pre_nms_top_n_test": 60, "post_nms_top_n_test": 20},
}


class TinyBackbone(Backbone):
    """A stride-8 stem and two stride-2 convs: ``c3``, ``c4``, ``c5`` of 8 channels."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=8, padding=1)
        self.stages = nn.ModuleList(nn.Conv2d(8, 8, 3, stride=2, padding=1) for _ in range(2))
        self.out_channels = {"c3": 8, "c4": 8, "c5": 8}
        self.strides = {"c3": 8, "c4": 16, "c5": 32}

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        x = self.stem(x)
        features = OrderedDict(c3=x)
        for name, stage in zip(("c4", "c5"), self.stages, strict=True):
            x = stage(x)
            features[name] = x
        return features


def _float32(tree):
    return tree_map(lambda t: t.float() if isinstance(t, Tensor) else t, tree)


def _autocast_then_replayed(model: nn.Module, heads: list[nn.Module], images: list[Tensor]):
    """Detections under bfloat16 autocast, and in float32 with the recorded outputs of
    ``heads`` (cast to float32) in place of their own."""
    recorded: dict[int, object] = {}
    hooks = [
        h.register_forward_hook(lambda m, i, o, k=k: recorded.__setitem__(k, o))
        for k, h in enumerate(heads)
    ]
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = model.predict(images)
    for hook in hooks:
        hook.remove()
    assert all(t.dtype == torch.bfloat16 for t in tree_leaves(recorded))
    hooks = [
        h.register_forward_hook(lambda m, i, o, k=k: _float32(recorded[k]))
        for k, h in enumerate(heads)
    ]
    with torch.no_grad():
        replayed = model.predict(images)
    for hook in hooks:
        hook.remove()
    return mixed, replayed


def _assert_same(mixed: list[dict[str, Tensor]], replayed: list[dict[str, Tensor]]) -> None:
    assert len(mixed) == len(replayed)
    for got, expected in zip(mixed, replayed, strict=True):
        assert got["boxes"].dtype == torch.float32
        assert got["scores"].dtype == torch.float32
        assert len(got["boxes"]) > 0
        for key in ("boxes", "scores", "labels"):
            assert torch.equal(got[key], expected[key]), key
        if "masks" in expected:  # probabilities stay bfloat16: full-image masks are large
            assert got["masks"].dtype == torch.bfloat16
            torch.testing.assert_close(got["masks"].float(), expected["masks"], rtol=0, atol=0.01)


@pytest.fixture
def images() -> list[Tensor]:
    torch.manual_seed(0)
    return [torch.rand(3, 150, 160), torch.rand(3, 160, 120)]


def test_faster_rcnn_under_autocast_decodes_in_float32(images):
    torch.manual_seed(0)
    model = faster_rcnn(3, backbone=TinyBackbone(), **TWO_STAGE).eval()
    heads = [model.rpn.head, model.roi_heads.predictor]
    _assert_same(*_autocast_then_replayed(model, heads, images))


def test_mask_rcnn_under_autocast_decodes_in_float32(images):
    torch.manual_seed(0)
    model = mask_rcnn(
        3, backbone=TinyBackbone(), mask_layers=(8,), mask_dim_reduced=8, **TWO_STAGE
    ).eval()
    heads = [model.rpn.head, model.roi_heads.predictor, model.mask_head.logits]
    _assert_same(*_autocast_then_replayed(model, heads, images))


def test_retinanet_under_autocast_decodes_in_float32(images):
    torch.manual_seed(0)
    model = retinanet(
        3,
        backbone=TinyBackbone(),
        min_size=SIZE,
        max_size=SIZE,
        fpn_channels=8,
        head_convs=1,
        score_thresh=0.001,
    ).eval()
    _assert_same(*_autocast_then_replayed(model, [model.head], images))


def test_ssd_under_autocast_decodes_default_boxes_in_float32():
    torch.manual_seed(0)
    model = ssd(3, backbone="mobilenet_v3_large", size=128, width_mult=0.5, score_thresh=0.2)
    images = [torch.rand(3, 120, 128)]
    _assert_same(*_autocast_then_replayed(model.eval(), [model.head], images))


def test_yolov3_candidates_under_autocast_are_float32_decodes():
    torch.manual_seed(0)
    priors = [[[10.0, 13.0]], [[373.0, 326.0]]]
    head = YOLOv3Head([4, 4], [16, 32], priors, 2, None, 4).eval()
    features = [torch.randn(1, 4, 26, 26), torch.randn(1, 4, 13, 13)]
    recorded = []
    head.predictors[1].register_forward_hook(lambda m, i, o: recorded.append(o))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        raw, grid_priors, _ = head(features)
        boxes, scores = head.candidates(features, (416, 416))
    assert boxes.dtype == scores.dtype == grid_priors.dtype == torch.float32
    # the 373 x 326 prior of the 13 x 13 level, not rounded to bfloat16 (372 x 326)
    assert torch.equal(grid_priors[-1, 2:4], torch.tensor([373.0, 326.0]))
    expected = decode_yolov3_boxes(raw[..., :4].float(), grid_priors)
    assert torch.equal(boxes, expected)
    assert torch.equal(scores, raw[..., 4:5].float().sigmoid() * raw[..., 5:].float().sigmoid())


def test_yolo_grid_decodes_of_bfloat16_outputs_are_float32():
    torch.manual_seed(0)
    raw = torch.randn(1, 6, 4).bfloat16()
    priors = torch.tensor([[12.0, 12.0, 373.0, 326.0, 32.0]]).repeat(6, 1)
    boxes = decode_yolov3_boxes(raw, priors)
    assert boxes.dtype == torch.float32
    assert torch.equal(boxes, decode_yolov3_boxes(raw.float(), priors))
    pred = torch.rand(1, 7, 7, 2, 4).bfloat16()
    boxes = decode_yolov1_boxes(pred, (448, 448))
    assert boxes.dtype == torch.float32
    assert torch.equal(boxes, decode_yolov1_boxes(pred.float(), (448, 448)))


def test_yolov1_candidates_under_autocast_are_float32():
    torch.manual_seed(0)
    head = YOLOv1GridHead(4, 2, 7, 2, 4).eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        boxes, scores = head.candidates([torch.randn(1, 4, 14, 14)], (448, 448))
    assert boxes.dtype == scores.dtype == torch.float32


def test_faster_rcnn_cast_to_bfloat16_trains_and_predicts_float32_boxes(images):
    torch.manual_seed(0)
    model = faster_rcnn(3, backbone=TinyBackbone(), **TWO_STAGE).bfloat16()
    images = [image.bfloat16() for image in images]
    targets = [{"boxes": torch.tensor([[10.0, 20.0, 100.0, 90.0]]), "labels": torch.tensor([1])}]
    losses = model.train().losses(images, targets * 2)
    assert all(torch.isfinite(value) for value in losses.values())
    # float32 proposals pooled from bfloat16 maps (in float32), float32 NMS inputs
    with torch.no_grad():
        detections = model.eval().predict(images)
    assert all(d["boxes"].dtype == d["scores"].dtype == torch.float32 for d in detections)
