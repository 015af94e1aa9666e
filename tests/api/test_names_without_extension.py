"""``result.save("out")`` / ``save_mask("out")``: a name without an extension is one line saying
so and giving a name that works (not "no extension is not an image format"), and writes
nothing."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from detseg.api.results import DetectionResult, SegmentationResult

RGB = np.full((12, 16, 3), 90, np.uint8)


def _detections() -> DetectionResult:
    return DetectionResult(
        boxes=torch.tensor([[1.0, 2.0, 9.0, 10.0]]),
        scores=torch.tensor([0.9]),
        labels=torch.tensor([1]),
        classes=["circle"],
        image=RGB,
    )


def _label_map() -> SegmentationResult:
    mask = torch.zeros(12, 16, dtype=torch.int64)
    return SegmentationResult(
        mask=mask, probabilities=torch.rand(2, 12, 16), classes=["circle"], image=RGB
    )


@pytest.mark.parametrize(
    "write",
    [
        lambda path: _detections().save(path),
        lambda path: _label_map().save(path),
        lambda path: _label_map().save_mask(path),
    ],
    ids=["detections", "label_map", "mask"],
)
def test_a_name_without_extension_says_so_and_gives_one(tmp_path, write):
    path = tmp_path / "out"
    message = f"cannot write {path}: it has no extension; give a file name ending in .png or .jpg"
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        write(path)
    assert f"e.g. {path}.png" in str(caught.value)
    assert "no extension is not" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_name_with_an_extension_is_written(tmp_path):
    _detections().save(tmp_path / "out.png")
    _label_map().save_mask(tmp_path / "mask.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mask.png", "out.png"]
