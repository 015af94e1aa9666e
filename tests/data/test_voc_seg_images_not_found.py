"""``format: voc_seg`` reads ``JPEGImages/<id>.jpg``. A split none of whose images is found there
(the images stored as PNG, a wrong root) is one error naming the file looked for and what is
there, not a run of no step in which every sample is skipped; one missing image among others
is still skipped and counted."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detseg.data.masks import VOCSegmentation


def _voc_seg_root(tmp_path, image_suffix: str, ids=("a", "b")):
    root = tmp_path / "VOC2012"
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / sub).mkdir(parents=True)
    for stem in ids:
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(
            root / f"JPEGImages/{stem}{image_suffix}"
        )
        Image.fromarray(np.ones((4, 4), np.uint8)).save(root / f"SegmentationClass/{stem}.png")
    (root / "ImageSets/Segmentation/train.txt").write_text("a\nb\n")
    return root


def test_images_of_another_suffix_are_named_with_the_fix(tmp_path):
    root = _voc_seg_root(tmp_path, ".png")
    with pytest.raises(
        FileNotFoundError, match=r"none of the 2 images .* \(e\.g\. a\.jpg\); a\.png is there"
    ):
        VOCSegmentation(root, "train")


def test_no_image_at_all_names_the_layout(tmp_path):
    root = _voc_seg_root(tmp_path, ".jpg", ids=())
    with pytest.raises(
        FileNotFoundError, match=r"none of the 2 images .*expected <root>/JPEGImages"
    ):
        VOCSegmentation(root, "train")


def test_one_missing_image_is_still_skipped(tmp_path):
    root = _voc_seg_root(tmp_path, ".jpg", ids=("b",))
    dataset = VOCSegmentation(root, "train")
    assert len(dataset) == 2 and dataset[0] is None and dataset[1] is not None
