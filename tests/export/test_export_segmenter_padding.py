"""A segmenter's graph pads as the model does: to ``size_divisible`` and, for an image a few
pixels high or wide at ``input.scale < 1``, far enough that the scaled image keeps a pixel
(``padded_side`` in detseg/segmentation/model.py). Without the second rule the graph resized a
1-pixel-high image to nothing and failed where the model answers."""

from __future__ import annotations

import copy

import pytest
import torch

from detseg.export import export_model, verify_export
from detseg.export.wrappers import SegmenterExport, export_graph
from detseg.segmentation.model import padded_side

ODD_SIZES = [(2, 97, 131), (1, 33, 200), (1, 1, 40), (1, 3, 1)]


def _images(sizes):
    generator = torch.Generator().manual_seed(0)
    return [torch.rand(b, 3, h, w, generator=generator) for b, h, w in sizes]


@pytest.mark.parametrize("scale", [1.0, 0.5, 0.3, 0.1, 1 / 3])
@pytest.mark.parametrize("divisor", [1, 8, 32])
def test_graph_pads_each_side_as_padded_side(tiny_model, scale, divisor):
    model = copy.deepcopy(tiny_model("deeplabv3"))
    model.input_scale, model.size_divisible = scale, divisor
    graph = SegmenterExport(model)
    for side in [1, 2, 3, 4, 7, 9, 10, 31, 33, 97]:
        padded = graph.padded_size(torch.zeros(1, 3, side, 5))
        assert padded.tolist() == [
            padded_side(side, divisor, scale),
            padded_side(5, divisor, scale),
        ], (side, divisor, scale)


def test_eager_graph_equals_the_model_on_tiny_images_at_half_scale(tiny_model):
    model = tiny_model("unet")  # input.scale 0.5
    graph = export_graph(model)
    with torch.no_grad():
        for images in _images(ODD_SIZES):
            assert torch.equal(graph(images), model(images)), tuple(images.shape)


def test_onnx_segmenter_at_half_scale_takes_a_one_pixel_high_image(tiny_model, tmp_path):
    pytest.importorskip("onnxruntime")
    result = export_model(
        tiny_model("unet"), tmp_path / "unet.onnx", dynamic=True, input_size=(64, 80)
    )
    report = verify_export(result, images=_images(ODD_SIZES))
    assert report.passed, "\n".join(report.lines())


def _at_half_scale(tiny_model, family):
    model = copy.deepcopy(tiny_model(family))
    model.input_scale = 0.5
    return model


@pytest.mark.parametrize("family", ["deeplabv3", "unet"])
def test_torchscript_segmenter_at_half_scale_takes_a_one_pixel_high_image(
    tiny_model, tmp_path, family
):
    # the U-Net's encoder pools maps of one pixel with ceil_mode, also in a traced graph
    # (detseg/segmentation/unet.py's _halve)
    result = export_model(
        _at_half_scale(tiny_model, family),
        tmp_path / f"{family}.pt",
        format="torchscript",
        dynamic=True,
        input_size=(64, 80),
    )
    report = verify_export(result, images=_images(ODD_SIZES))
    assert report.passed, "\n".join(report.lines())
