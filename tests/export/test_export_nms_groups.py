"""The class-wise NMS of the Faster R-CNN and SSD graphs groups boxes by label ``1..K``, as the
models do (``first_group_id=1``): the coordinate trick offsets each group's boxes by its id, so
other ids round the IoUs differently. On flat boxes (an image one or two pixels high) the
0-based ids of the graphs kept other boxes than ``model.predict``."""

from __future__ import annotations

import pytest
import torch

from detseg.export import export_model, verify_export
from detseg.export.wrappers import export_graph

THIN_SIZES = [(1, 90), (2, 90), (3, 90), (97, 131), (33, 200)]


def _images():
    generator = torch.Generator().manual_seed(7)
    return [torch.rand(1, 3, h, w, generator=generator) for h, w in THIN_SIZES]


@pytest.mark.parametrize("family", ["faster_rcnn", "ssdlite", "retinanet", "yolov3"])
def test_eager_graph_equals_predict_on_thin_images(tiny_model, family):
    model = tiny_model(family)
    graph = export_graph(model)
    with torch.no_grad():
        for image in _images():
            boxes, scores, labels = graph(image)
            reference = model.predict([image[0]])[0]
            assert torch.equal(labels, reference["labels"]), tuple(image.shape)
            assert torch.equal(scores, reference["scores"]), tuple(image.shape)
            assert torch.equal(boxes, reference["boxes"]), tuple(image.shape)


def test_torchscript_faster_rcnn_matches_on_thin_images(tiny_model, tmp_path):
    result = export_model(
        tiny_model("faster_rcnn"), tmp_path / "f.pt", format="torchscript", dynamic=True
    )
    report = verify_export(result, images=_images())
    assert report.passed, "\n".join(report.lines())
    for comparison in report.comparisons:
        assert comparison.unmatched == 0, "\n".join(report.lines())
