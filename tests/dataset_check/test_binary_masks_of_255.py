"""check_data on binary label maps that store their foreground as 255 (the ignore value):
the no-foreground error says so and what to store instead."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detseg.dataset_check import check_dataset


def _binary_masks(root: Path, foreground: int) -> dict:
    """``folder_seg`` train split: one 16x20 image whose mask has a 4x5 ``foreground`` block."""
    (root / "images" / "train").mkdir(parents=True)
    (root / "masks" / "train").mkdir(parents=True)
    cv2.imwrite(str(root / "images" / "train" / "a.png"), np.zeros((16, 20, 3), np.uint8))
    mask = np.zeros((16, 20), np.uint8)
    mask[2:6, 2:7] = foreground
    cv2.imwrite(str(root / "masks" / "train" / "a.png"), mask)
    (root / "classes.txt").write_text("lesion\n")
    return {"format": "folder_seg", "root": str(root)}


def test_foreground_of_255_is_named_in_the_error(tmp_path):
    check = check_dataset(_binary_masks(tmp_path / "bin", 255), ("train",))
    (error,) = [f for f in check.findings if f.code == "no_objects"]
    assert error.severity == "error"
    assert "20 pixels hold 255, the ignore value" in error.message
    assert "store their foreground as 1, not 255" in error.message


def test_no_hint_without_ignore_pixels(tmp_path):
    check = check_dataset(_binary_masks(tmp_path / "zero", 0), ("train",))
    (error,) = [f for f in check.findings if f.code == "no_objects"]
    assert "255" not in error.message


def _add_image(root: Path, name: str, foreground: int) -> None:
    """One more 16x20 image of the ``train`` split whose mask has a 4x5 ``foreground`` block."""
    cv2.imwrite(str(root / "images" / "train" / name), np.zeros((16, 20, 3), np.uint8))
    mask = np.zeros((16, 20), np.uint8)
    mask[2:6, 2:7] = foreground
    cv2.imwrite(str(root / "masks" / "train" / name), mask)


def test_masks_of_0_and_255_are_named_beside_foreground(tmp_path):
    spec = _binary_masks(tmp_path / "mixed", 1)
    _add_image(tmp_path / "mixed", "b.png", 255)
    check = check_dataset(spec, ("train",))
    assert not [f for f in check.findings if f.code == "no_objects"]
    (finding,) = [f for f in check.findings if f.code == "foreground_255"]
    assert finding.severity == "warning"
    assert finding.count == 1
    assert "b.png" in finding.message and "a.png" not in finding.message
    assert "store the foreground as 1 (class 1); 255 means ignore" in finding.message


def test_masks_with_foreground_are_not_named(tmp_path):
    spec = _binary_masks(tmp_path / "ones", 1)
    _add_image(tmp_path / "ones", "b.png", 0)
    check = check_dataset(spec, ("train",))
    assert not [f for f in check.findings if f.code == "foreground_255"]
