"""``model.init_from`` given a classification backbone's weights: the error names the key that
takes them (``model.backbone_weights``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from detseg.convert import init_weights
from detseg.convert.init_weights import load_init_weights


def _no_torchvision_model(state, arch=None, source=""):
    raise ValueError(f"{source}: the tensors match no torchvision model with a detseg twin")


def test_backbone_weights_in_init_from_point_to_backbone_weights(tmp_path, monkeypatch):
    # what identifying the file among the torchvision detectors answers, without building each
    monkeypatch.setattr(init_weights, "convert_torchvision_state", _no_torchvision_model)
    path = tmp_path / "mobilenet_v3_large-8738ca79.pth"
    classifier = nn.Sequential(nn.Conv2d(3, 4, 1))  # names "0.weight": a torchvision classifier's
    torch.save({f"features.{k}": v for k, v in classifier.state_dict().items()}, path)
    detector = nn.Module()
    detector.backbone = nn.Sequential(nn.Conv2d(3, 4, 1))  # "backbone.0.weight": fits nothing
    with pytest.raises(ValueError) as info:
        load_init_weights(detector, str(path))
    message = str(info.value)
    assert str(path) in message and "model.backbone_weights=<file>" in message
    assert "\n" not in message
