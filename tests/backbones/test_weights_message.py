"""A missing weights file says which config key to set."""

from __future__ import annotations

import pytest
import torch

from detseg.backbones.weights import resolve_weights_path


def test_missing_imagenet_weights_name_the_config_key(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(FileNotFoundError) as err:
        resolve_weights_path("imagenet", "resnet34")
    message = str(err.value)
    assert "model.backbone_weights=<path to the file>" in message
    assert "model.backbone_weights=null" in message and "weights=None" in message


def test_a_missing_weights_file_names_the_config_key(tmp_path):
    with pytest.raises(FileNotFoundError, match="model.backbone_weights"):
        resolve_weights_path(tmp_path / "none.pth", "resnet34")
