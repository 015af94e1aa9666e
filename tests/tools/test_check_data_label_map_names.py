"""check_data names the label-map file of a bad label map, not only its image."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detseg.dataset_check import check_dataset, format_text_report


def _folder_seg(root: Path, mask: np.ndarray) -> dict:
    (root / "images" / "train").mkdir(parents=True)
    (root / "masks" / "train").mkdir(parents=True)
    cv2.imwrite(str(root / "images" / "train" / "a.jpg"), np.zeros((24, 32, 3), np.uint8))
    cv2.imwrite(str(root / "masks" / "train" / "a_label.png"), mask)
    (root / "classes.txt").write_text("cat\n")
    return {"format": "folder_seg", "root": str(root), "mask_suffix": "_label.png"}


def _report(tmp_path: Path, mask: np.ndarray) -> str:
    check = check_dataset(_folder_seg(tmp_path, mask), ("train",))
    assert check.splits["train"]["label_problems"]["invalid"] == 1
    return format_text_report(check).replace("\\", "/")


def test_a_label_value_above_the_classes_names_the_label_map_file(tmp_path):
    mask = np.zeros((24, 32), np.uint8)
    mask[0, 0] = 7
    report = _report(tmp_path, mask)
    assert "a.jpg: label map masks/train/a_label.png: label values [7]" in report


def test_a_label_map_of_another_size_names_the_label_map_file(tmp_path):
    report = _report(tmp_path, np.zeros((12, 16), np.uint8))
    assert "a.jpg: label map masks/train/a_label.png: label map is 12x16" in report
