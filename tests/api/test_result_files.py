"""Writing a result to a file: a name OpenCV has no writer for, or a folder, is one clear error
(not OpenCV's ``cv2.error``) and writes nothing; a label map is written only in a lossless
format (a ``.jpg`` would change its class indices)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from detseg.api.results import DetectionResult, SegmentationResult
from detseg.visualize import save_label_map, save_rgb

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
    mask[2:8, 3:9] = 1
    return SegmentationResult(
        mask=mask, probabilities=torch.rand(2, 12, 16), classes=["circle"], image=RGB
    )


@pytest.mark.parametrize("name", ["plot.xyz"])
def test_an_extension_without_a_writer_is_a_value_error(tmp_path, name):
    path = tmp_path / "sub" / name
    message = f"cannot write image {path}: {path.suffix} is not an image"
    with pytest.raises(ValueError, match=re.escape(message)):
        _detections().save(path)
    assert not (tmp_path / "sub").exists()


def test_a_folder_is_refused_with_a_file_name_to_give(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"it is a folder; give a file name, e.g. "):
        _label_map().save(tmp_path)
    with pytest.raises(IsADirectoryError, match=r"cannot write label map .*it is a folder"):
        save_label_map(tmp_path, torch.zeros(2, 2, dtype=torch.int64))


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".webp"])
def test_a_label_map_is_not_written_lossy(tmp_path, suffix):
    path = tmp_path / f"mask{suffix}"
    with pytest.raises(ValueError, match=re.escape(f"{suffix} is not one of the label-map")):
        _label_map().save_mask(path)
    assert not path.exists()


def test_good_names_are_still_written(tmp_path):
    _detections().save(tmp_path / "d.jpg")
    _label_map().save_mask(tmp_path / "m.PNG")
    save_rgb(tmp_path / "r.webp", RGB)
    assert {p.name for p in tmp_path.iterdir()} == {"d.jpg", "m.PNG", "r.webp"}
