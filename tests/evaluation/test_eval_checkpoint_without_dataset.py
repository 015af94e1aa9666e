"""Evaluating a checkpoint whose config names no dataset (one converted from torchvision's
weights) says which settings give the data, in the caller's words, before any model is built;
given data of other classes, the class lists in the message are cut short."""

from __future__ import annotations

import pytest
import torch
import torchvision
from PIL import Image

from detseg.convert.checkpoint_file import torchvision_file_checkpoint
from detseg.engine.checkpointing import save_checkpoint
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
from detseg.named_settings import SettingError

TOOL_FLAGS = {"overrides": "--set", "data_file": "--data"}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """A checkpoint converted from a random-weight torchvision Faster R-CNN of COCO's 91
    classes (no dataset in its config)."""
    folder = tmp_path_factory.mktemp("converted")
    torch.manual_seed(0)
    tv_model = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None
    )
    torch.save(tv_model.state_dict(), folder / "tv.pth")
    state = torchvision_file_checkpoint("fasterrcnn_mobilenet_v3_large_320_fpn", folder / "tv.pth")
    save_checkpoint(folder / "converted.pt", state)
    return folder / "converted.pt"


def test_no_dataset_names_the_settings_that_give_one(converted, tmp_path):
    with pytest.raises(SettingError) as info:
        evaluate_checkpoint(converted, out=tmp_path / "eval")
    error = info.value
    start = f"{converted} names no dataset to score it on (its config has no data.root"
    assert str(error).startswith(start)
    assert (
        "give the data with data_file=FILE or overrides=['data.root=PATH'], labelled in the "
        "checkpoint's 90 classes and order"
    ) in str(error)
    assert "give the data with --data FILE or --set data.root=PATH" in error.naming(TOOL_FLAGS)
    assert not (tmp_path / "eval").exists() or not any((tmp_path / "eval").iterdir())


def test_other_classes_are_listed_short(converted, tmp_path):
    root = tmp_path / "data"
    (root / "val").mkdir(parents=True)
    Image.new("RGB", (32, 32)).save(root / "val" / "a.png")
    ann = root / "val.json"
    ann.write_text(
        '{"images": [{"id": 1, "file_name": "a.png", "width": 32, "height": 32}], '
        '"annotations": [], "categories": [{"id": 1, "name": "circle"}]}'
    )
    data = ["data.format=coco", f"data.root={root}", "data.val_images=val"]
    data += ["data.val_ann=val.json", "data.train_images=val", "data.train_ann=val.json"]
    with pytest.raises(SettingError) as info:
        evaluate_checkpoint(converted, overrides=data, out=tmp_path / "eval")
    message = str(info.value)
    assert "differ from the checkpoint's ['person', 'bicycle', 'car', " in message
    assert "'traffic light' and 80 more]" in message
    assert "it has no class 'person', 'bicycle', 'car' and 78 more:" in message  # N/A once
    assert "fire hydrant" not in message
