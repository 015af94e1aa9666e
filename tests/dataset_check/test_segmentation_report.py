"""The text report of a segmentation split whose label maps cannot be counted."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detseg.dataset_check import check_dataset, format_text_report


def _folder_seg(root: Path, mask_shape: tuple[int, int]) -> dict:
    """One 24x32 image with a label map of ``mask_shape`` (a class-1 square)."""
    (root / "images" / "train").mkdir(parents=True)
    (root / "masks" / "train").mkdir(parents=True)
    cv2.imwrite(str(root / "images" / "train" / "a.png"), np.zeros((24, 32, 3), np.uint8))
    mask = np.zeros(mask_shape, np.uint8)
    mask[2:6, 2:6] = 1
    cv2.imwrite(str(root / "masks" / "train" / "a.png"), mask)
    (root / "classes.txt").write_text("cat\n")
    return {"format": "folder_seg", "root": str(root)}


def _train_row(report: str) -> list[str]:
    lines = report.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("split "))
    return lines[header + 1].split()


def test_foreground_share_of_counted_label_maps(tmp_path):
    check = check_dataset(_folder_seg(tmp_path / "ok", (24, 32)), ("train",))
    row = _train_row(format_text_report(check))
    assert row[0] == "train" and row[4] == f"{16 / (24 * 32):.1%}"


def test_no_foreground_share_without_a_counted_label_map(tmp_path):
    check = check_dataset(_folder_seg(tmp_path / "bad", (10, 10)), ("train",))
    assert check.splits["train"]["label_problems"]["invalid"] == 1
    row = _train_row(format_text_report(check))
    assert row[:4] == ["train", "1", "0", "1"]
    assert row[4] == "-"
