"""``weight_files_not_read``: inside the block a backbone is built as for its weights but no
file is read; after it (also after an error inside it) files are read again."""

from __future__ import annotations

import pytest
import torchvision

from detseg.backbones.weights import load_torchvision_weights, weight_files_not_read


def test_no_file_is_read_inside_the_block(tmp_path):
    missing = tmp_path / "missing.pth"
    net = torchvision.models.resnet18()
    with weight_files_not_read():
        load_torchvision_weights(net, missing, "resnet18")
        load_torchvision_weights(net, "imagenet", "resnet18")
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        load_torchvision_weights(net, missing, "resnet18")


def test_files_are_read_again_after_an_error_in_the_block(tmp_path):
    missing = tmp_path / "missing.pth"
    with pytest.raises(RuntimeError, match="inside"), weight_files_not_read():
        raise RuntimeError("inside")
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        load_torchvision_weights(torchvision.models.resnet18(), missing, "resnet18")
