"""The export graphs run eagerly: equal to the model's own inference, step by step.

No file is written here: these tests hold :mod:`detseg.export.traceable` and the wrappers to
``model.predict`` / ``model(images)`` exactly, on images of several sizes (padding, upscaling and
downscaling), so that a traced graph computes what the model computes.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import torchvision

from detseg.export import export_graph
from detseg.export.traceable import batched_nms, grid_anchors, resize_min_max, scale_boxes
from detseg.ops.anchors import AnchorGenerator

SIZES = [(96, 96), (73, 96), (50, 131)]


@pytest.mark.parametrize("family", ["faster_rcnn", "retinanet", "ssdlite", "yolov3"])
def test_detector_graph_equals_predict(tiny_model, family):
    model = tiny_model(family)
    graph = export_graph(model)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for size in SIZES:
            image = torch.rand(1, 3, *size, generator=generator)
            boxes, scores, labels = graph(image)
            reference = model.predict([image[0]])[0]
            assert len(reference["boxes"]) > 0, f"{family} {size}: no detections to compare"
            assert torch.equal(boxes, reference["boxes"]), (family, size)
            assert torch.equal(scores, reference["scores"]), (family, size)
            assert torch.equal(labels, reference["labels"]), (family, size)


def test_yolov1_graph_pools_by_matrices_within_rounding(tiny_model):
    # the v1 head's adaptive pool becomes two matrix products: same values up to rounding
    model = tiny_model("yolov1")
    image = torch.rand(1, 3, 80, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        boxes, scores, labels = export_graph(model)(image)
        reference = model.predict([image[0]])[0]
    assert len(boxes) == len(reference["boxes"]) > 0
    assert torch.equal(labels, reference["labels"])
    torch.testing.assert_close(boxes, reference["boxes"], rtol=0, atol=1e-4)
    torch.testing.assert_close(scores, reference["scores"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("family", ["unet", "deeplabv3"])
def test_segmenter_graph_equals_forward(tiny_model, family):
    model = tiny_model(family)
    graph = export_graph(model)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for size in SIZES:
            images = torch.rand(2, 3, *size, generator=generator)
            assert torch.equal(graph(images), model(images)), (family, size)


def test_resize_min_max_is_the_transform_resize():
    generator = torch.Generator().manual_seed(0)
    for size in [(50, 97), (100, 30), (40, 40), (33, 1000), (800, 1201)]:
        image = torch.rand(1, 3, *size, generator=generator)
        scale = min(96 / min(size), 128 / max(size))
        expected = F.interpolate(
            image, scale_factor=scale, mode="bilinear", recompute_scale_factor=True
        )
        assert torch.equal(resize_min_max(image, 96, 128), expected), size


def test_grid_anchors_equal_the_anchor_generator():
    generator = AnchorGenerator(((16, 32), (64,)), ((0.5, 1.0, 2.0), (1.0,)))
    features = [torch.zeros(1, 8, 12, 16), torch.zeros(1, 8, 3, 4)]
    expected = generator((96, 128), [(12, 16), (3, 4)])
    size = torch.tensor([96, 128])
    ours = torch.cat(
        [
            grid_anchors(base, feature, size)
            for base, feature in zip(generator.cell_anchors, features, strict=True)
        ]
    )
    assert torch.equal(ours, expected)


def test_batched_nms_is_torchvisions_and_handles_no_boxes():
    generator = torch.Generator().manual_seed(0)
    corners = torch.rand(300, 2, generator=generator) * 100
    boxes = torch.cat([corners, corners + 5 + torch.rand(300, 2, generator=generator) * 40], 1)
    scores = torch.rand(300, generator=generator)
    groups = torch.randint(0, 4, (300,), generator=generator)
    expected = torchvision.ops.batched_nms(boxes, scores, groups, 0.5)
    assert torch.equal(batched_nms(boxes, scores, groups, 0.5), expected)
    empty = batched_nms(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.int64), 0.5)
    assert empty.shape == (0,)


def test_scale_boxes_maps_resized_pixels_back():
    boxes = torch.tensor([[10.0, 20.0, 30.0, 40.0]])
    scaled = scale_boxes(boxes, torch.tensor([50, 100]), torch.tensor([100, 50]))
    assert torch.equal(scaled, torch.tensor([[5.0, 40.0, 15.0, 80.0]]))
