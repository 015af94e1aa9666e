"""docs/evaluation.md's Python block runs as written.

The block converts torchvision's COCO Faster R-CNN with ``weights="DEFAULT"``; here the
builder gets random weights instead (no file to read, nothing downloaded), which changes no
line of the block.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
import torchvision

from detseg.detection import FasterRCNN

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "evaluation.md"


def python_blocks() -> list[str]:
    """The fenced ``python`` code blocks of docs/evaluation.md, in order."""
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_the_guide_has_one_python_block():
    [block] = python_blocks()
    assert "from_torchvision(tv)" in block


def test_converting_torchvision_weights_as_written(monkeypatch):
    builder = torchvision.models.detection.fasterrcnn_resnet50_fpn
    asked = []

    def random_weights(weights=None, **kwargs):
        asked.append(weights)
        return builder(weights=None, weights_backbone=None, **kwargs)

    monkeypatch.setattr(torchvision.models.detection, "fasterrcnn_resnet50_fpn", random_weights)
    torch.manual_seed(0)
    namespace: dict = {}
    exec(python_blocks()[0], namespace)
    assert asked == ["DEFAULT"]
    model, tv = namespace["model"], namespace["tv"]
    assert isinstance(model, FasterRCNN)
    ours = sorted(p.shape for p in model.state_dict().values())
    theirs = sorted(p.shape for p in tv.state_dict().values())
    assert ours == theirs
