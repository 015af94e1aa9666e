"""An exported detector takes one image per call: a TorchScript graph given a batch of two
fails instead of returning the detections of the first image alone."""

from __future__ import annotations

import pytest
import torch
import torchvision  # noqa: F401  (registers torchvision::nms for torch.jit.load)

from detseg.export import export_model
from detseg.models import build_model

TINY_YOLO = {
    "name": "yolo",
    "backbone": "mobilenet_v3_large",
    "width_mult": 0.5,
    "input_size": 96,
    "neck_channels": 16,
    "head_channels": 16,
}


def test_a_batch_of_two_is_refused_by_the_torchscript_graph(tmp_path):
    torch.manual_seed(0)
    model = build_model(TINY_YOLO, 2).eval()
    export_model(model, tmp_path / "yolo.pt", format="torchscript", dynamic=True)
    graph = torch.jit.load(str(tmp_path / "yolo.pt"))
    boxes, scores, labels = graph(torch.rand(1, 3, 80, 90))
    assert boxes.shape[1:] == (4,) and scores.shape == labels.shape
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        graph(torch.rand(2, 3, 80, 90))
