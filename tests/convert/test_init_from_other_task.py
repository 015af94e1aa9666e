"""``model.init_from`` weights of the other task (a segmenter's for a detector, or the other way
round) share no tensor with the model: the error says what the source holds and what the model
is, instead of guessing at another architecture."""

from __future__ import annotations

import pytest
import torch

from detseg.convert.checkpoint_file import torchvision_file_checkpoint
from detseg.convert.init_weights import load_init_weights
from detseg.convert.torchvision_archs import build_torchvision
from detseg.engine.checkpointing import model_checkpoint, save_checkpoint
from detseg.models import build_model

SEGMENTER = "lraspp_mobilenet_v3_large"
DETECTOR_CFG = {"name": "faster_rcnn", "backbone": "mobilenet_v3_large", "fpn": True}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A torchvision segmenter's state-dict file, its detseg checkpoint, a detseg detector's."""
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    tv_path = folder / "tv_lraspp.pth"
    torch.save(build_torchvision(SEGMENTER, num_classes=4).state_dict(), tv_path)
    save_checkpoint(folder / "seg.pt", torchvision_file_checkpoint(None, tv_path))
    detector = build_model(DETECTOR_CFG, num_classes=3)
    checkpoint = model_checkpoint(detector, {"model": DETECTOR_CFG}, ["a", "b", "c"])
    save_checkpoint(folder / "det.pt", checkpoint)
    return {"tv": tv_path, "seg": folder / "seg.pt", "det": folder / "det.pt"}


def _error(model, source) -> str:
    with pytest.raises(ValueError) as info:
        load_init_weights(model, str(source), log=False)
    message = str(info.value)
    assert "\n" not in message and "another architecture" not in message, message
    return message


def test_a_torchvision_segmenter_file_for_a_detector(files):
    message = _error(build_model(DETECTOR_CFG, num_classes=3), files["tv"])
    assert message.startswith(
        f"model.init_from {files['tv']} holds a segmenter's weights (torchvision {SEGMENTER}), "
        "but this model (FasterRCNN) is a detector: give a detector's weights, or set "
        "model.name to a segmenter"
    ), message


def test_a_detseg_segmenter_checkpoint_for_a_detector(files):
    message = _error(build_model(DETECTOR_CFG, num_classes=3), files["seg"])
    assert message.startswith(
        f"model.init_from {files['seg']} holds a segmenter's weights (detseg lraspp), but this "
        "model (FasterRCNN) is a detector: "
    ), message


def test_a_detseg_detector_checkpoint_for_a_segmenter(files):
    segmenter = build_model({"name": "lraspp", "backbone": "mobilenet_v3_large"}, num_classes=3)
    message = _error(segmenter, files["det"])
    assert message.startswith(
        f"model.init_from {files['det']} holds a detector's weights (detseg faster_rcnn), but "
        "this model (SegmentationModel) is a segmenter: give a segmenter's weights, or set "
        "model.name to a detector"
    ), message


def test_a_single_tensor_source_is_named_in_the_singular(tmp_path):
    torch.save({"head.weight": torch.zeros(3, 3)}, tmp_path / "one.pth")
    with pytest.raises(ValueError) as info:
        load_init_weights(torch.nn.Linear(2, 2), str(tmp_path / "one.pth"))
    assert "the source has 1 tensor (head.weight): is it the weights of another " in str(info.value)
