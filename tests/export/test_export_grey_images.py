"""An exported detector takes RGB images ``[1, 3, H, W]``, as the model does: a grey
``[1, 1, H, W]`` image fails in the TorchScript graph (the model refuses it) instead of being
broadcast to three channels by the normalisation."""

from __future__ import annotations

import pytest
import torch
import torchvision  # noqa: F401  (registers torchvision::nms for torch.jit.load)

from detseg.export import export_model


def test_a_grey_image_is_refused_by_the_torchscript_graph(tiny_model, tmp_path):
    model = tiny_model("yolov3")
    export_model(model, tmp_path / "yolo.pt", format="torchscript", dynamic=True)
    graph = torch.jit.load(str(tmp_path / "yolo.pt"))
    boxes, scores, labels = graph(torch.rand(1, 3, 70, 90))
    assert boxes.shape[1:] == (4,) and scores.shape == labels.shape
    with pytest.raises(ValueError, match=r"must be a \[3, H, W\] tensor"):
        model.predict([torch.rand(1, 70, 90)])
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        graph(torch.rand(1, 1, 70, 90))
