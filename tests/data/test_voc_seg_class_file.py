"""A voc_seg folder's own ``classes.txt`` gives its class names when ``data.classes`` is unset."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detseg.data.masks import VOCSegmentation
from detseg.data.registry import build_segmentation_dataset
from detseg.data.voc import VOC_CLASSES


def _voc_seg_root(tmp_path, classes_txt: str | None):
    """A VOC2012-layout folder with one 4x4 image whose label map holds 0, 1 and 2."""
    root = tmp_path / "VOC2012"
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / sub).mkdir(parents=True)
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(root / "JPEGImages/a.jpg")
    labels = np.array([[0, 1, 1, 0], [0, 2, 2, 0], [0, 0, 0, 0], [0, 0, 0, 0]], np.uint8)
    Image.fromarray(labels, mode="L").save(root / "SegmentationClass/a.png")
    (root / "ImageSets/Segmentation/train.txt").write_text("a\n")
    if classes_txt is not None:
        (root / "classes.txt").write_text(classes_txt)
    return root


def test_voc_seg_reads_classes_txt_under_root(tmp_path):
    root = _voc_seg_root(tmp_path, "crack\nrust\n")
    assert VOCSegmentation(root, "train").classes == ["crack", "rust"]
    dataset = build_segmentation_dataset({"format": "voc_seg", "root": str(root)}, "train")
    assert dataset.classes == ["crack", "rust"]


def test_voc_seg_without_classes_txt_keeps_the_voc_classes(tmp_path):
    root = _voc_seg_root(tmp_path, None)
    dataset = build_segmentation_dataset({"format": "voc_seg", "root": str(root)}, "train")
    assert dataset.classes == VOC_CLASSES


def test_voc_seg_given_classes_win_over_classes_txt(tmp_path):
    root = _voc_seg_root(tmp_path, "crack\nrust\n")
    cfg = {"format": "voc_seg", "root": str(root), "classes": ["a", "b", "c"]}
    assert build_segmentation_dataset(cfg, "train").classes == ["a", "b", "c"]


def test_voc_seg_classes_txt_listing_background_names_the_file(tmp_path):
    root = _voc_seg_root(tmp_path, "background\ncrack\n")
    with pytest.raises(ValueError, match=r"classes\.txt: the first class is 'background'"):
        VOCSegmentation(root, "train")
