"""training_box_sizes refuses a segmentation dataset (it has no boxes) with a clear message."""

from __future__ import annotations

import pytest

from detseg.dataset_check.box_sizes import training_box_sizes


def test_segmentation_data_file_is_refused(tmp_path):
    data_file = tmp_path / "seg.yaml"
    data_file.write_text(f"data: {{format: folder_seg, root: {tmp_path}}}\n")
    with pytest.raises(ValueError) as info:
        training_box_sizes(data_file, 416)
    message = str(info.value)
    assert str(data_file) in message
    assert "folder_seg is a semantic segmentation format" in message
    assert "coco, voc, yolo" in message
