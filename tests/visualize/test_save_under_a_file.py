"""Writing a drawing or a label map to a path whose folder is a file is one error naming that
file, not ``mkdir``'s bare ``FileExistsError`` naming the folder it could not create."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from detseg.api.results import DetectionResult
from detseg.visualize import save_label_map, save_rgb


@pytest.fixture
def file_in_the_way(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    return blocker


def test_save_rgb_names_the_file_in_the_way(file_in_the_way):
    target = file_in_the_way / "out" / "drawn.png"
    expected = f"cannot write image {target}: {file_in_the_way} is a file, not a folder"
    with pytest.raises(NotADirectoryError, match=re.escape(expected)):
        save_rgb(target, np.zeros((2, 2, 3), np.uint8))


def test_save_label_map_names_the_file_in_the_way(file_in_the_way):
    target = file_in_the_way / "labels.png"
    expected = f"cannot write label map {target}: {file_in_the_way} is a file, not a folder"
    with pytest.raises(NotADirectoryError, match=re.escape(expected)):
        save_label_map(target, np.zeros((2, 2), np.uint8))


def test_result_save_names_the_file_in_the_way(file_in_the_way):
    result = DetectionResult(
        boxes=torch.zeros(0, 4),
        scores=torch.zeros(0),
        labels=torch.zeros(0, dtype=torch.int64),
        classes=["circle"],
        image=np.zeros((3, 3, 3), np.uint8),
    )
    with pytest.raises(NotADirectoryError, match=re.escape(f"{file_in_the_way} is a file")):
        result.save(file_in_the_way / "prediction.png")
