"""``format: voc_seg`` reads ``JPEGImages/<id>.jpg``. A split none of whose images is found there
(the images stored as PNG, a wrong root) is one error naming the file looked for and what is
there, not a run of no step in which every sample is skipped; images or label maps missing
among others are named in one warning with the first names their folder holds, and are still
skipped and counted."""

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


def test_none_found_lists_what_the_folder_holds(tmp_path):
    root = _voc_seg_root(tmp_path, ".jpg", ids=("c", "d", "e", "f"))
    with pytest.raises(
        FileNotFoundError,
        match=r"none of the 2 images .*\(e\.g\. a\.jpg\); the folder holds 4 \.jpg files: "
        r"c\.jpg, d\.jpg, e\.jpg and 1 more; expected <root>/JPEGImages",
    ):
        VOCSegmentation(root, "train")


def test_a_missing_image_is_named_once_with_what_the_folder_holds(tmp_path, caplog):
    root = _voc_seg_root(tmp_path, ".jpg", ids=("b",))
    with caplog.at_level("WARNING", logger="detseg.data.voc_seg_split"):
        VOCSegmentation(root, "train")
    notes = [r.getMessage() for r in caplog.records if r.name == "detseg.data.voc_seg_split"]
    split_file = root / "ImageSets/Segmentation/train.txt"
    # one note: the id without an image is not reported again for its label map
    assert notes == [
        f"1 of the 2 ids of VOC split file {split_file} has no image in {root / 'JPEGImages'}: "
        "a.jpg (the folder holds 1 .jpg file: b.jpg); it is skipped and counted as unreadable; "
        "remove its id from train.txt or add the image file"
    ]


def test_missing_label_maps_are_named_with_what_the_folder_holds(tmp_path, caplog):
    root = _voc_seg_root(tmp_path, ".jpg", ids=("a", "b"))
    (root / "SegmentationClass/a.png").unlink()
    (root / "SegmentationClass/b.png").rename(root / "SegmentationClass/b_0.png")
    with caplog.at_level("WARNING", logger="detseg.data.voc_seg_split"):
        dataset = VOCSegmentation(root, "train")
    notes = [r.getMessage() for r in caplog.records if r.name == "detseg.data.voc_seg_split"]
    assert len(notes) == 1
    assert notes[0].startswith("2 of the 2 ids of VOC split file ")
    assert "have no label map in" in notes[0]
    assert ": a.png, b.png (the folder holds 1 .png file: b_0.png); they are skipped" in notes[0]
    assert dataset[0] is None and dataset[1] is None  # skipped and counted, as before


def test_a_missing_split_file_lists_the_split_files_there(tmp_path):
    root = _voc_seg_root(tmp_path, ".jpg")
    (root / "ImageSets/Segmentation/val.txt").write_text("b\n")
    folder = root / "ImageSets" / "Segmentation"
    with pytest.raises(FileNotFoundError) as error:
        VOCSegmentation(root, "trainval")
    assert str(error.value).startswith(
        f"VOC split file not found: {folder / 'trainval.txt'}; {folder} holds 2 .txt files: "
        "train.txt, val.txt; set data.train_split / data.val_split to a split name there"
    )
