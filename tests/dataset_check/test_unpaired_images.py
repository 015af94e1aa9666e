"""Segmentation folders: images without a label map are listed by the reader and the check."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detseg.data.masks import FolderSegmentation
from detseg.dataset_check import check_dataset


def _folder_seg(root: Path) -> Path:
    """``a.png`` with its label map; ``b.png`` whose label map is ``b.jpg`` (not the suffix)."""
    images, masks = root / "images" / "train", root / "masks" / "train"
    images.mkdir(parents=True)
    masks.mkdir(parents=True)
    for stem in ("a", "b"):
        cv2.imwrite(str(images / f"{stem}.png"), np.zeros((24, 32, 3), np.uint8))
    mask = np.zeros((24, 32), np.uint8)
    mask[4:12, 4:12] = 1
    cv2.imwrite(str(masks / "a.png"), mask)
    cv2.imwrite(str(masks / "b.jpg"), mask)
    (root / "classes.txt").write_text("cat\n")
    return root


def test_reader_lists_images_without_label_map(tmp_path):
    root = _folder_seg(tmp_path / "seg")
    dataset = FolderSegmentation(
        root / "images" / "train", root / "masks" / "train", root / "classes.txt"
    )
    assert dataset.names == ["a"]
    assert dataset.images_without_label_map == [root / "images" / "train" / "b.png"]


def test_check_warns_about_images_without_label_map(tmp_path):
    root = _folder_seg(tmp_path / "seg")
    data = {"format": "folder_seg", "root": str(root), "val_images": "images/train"}
    data["val_masks"] = "masks/train"
    check = check_dataset(data, ("train",))
    found = [f for f in check.findings if f.code == "unpaired_images"]
    assert len(found) == 1, [f.code for f in check.findings]
    assert found[0].severity == "warning" and found[0].count == 1
    assert found[0].files == ["images/train/b.png"]
    assert "data.mask_suffix" in found[0].message
    assert check.splits["train"]["images"] == 1
    assert check.splits["train"]["unpaired_images"] == 1
