"""``check_data`` given a segmentation dataset folder without a data.yaml: the folder_seg
layout (``images/`` + ``masks/``) and the VOC 2012 one (``SegmentationClass/`` +
``ImageSets/Segmentation/``) are recognised after the detection layouts and checked as a
segmentation data file is; a folder in no layout gets one line naming every layout."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.config import ConfigError
from detseg.config.data_root import layout_format
from detseg.dataset_check import check_dataset, load_data_section

SPLITS = {"train": ("a", "b"), "val": ("c",)}


def _square_mask(value: int) -> np.ndarray:
    """A 24x32 label map: background with a ``value`` square (``UInt8[24, 32]``)."""
    mask = np.zeros((24, 32), np.uint8)
    mask[4:12, 6:14] = value
    return mask


def _folder_seg(root: Path) -> Path:
    """``images/<split>/<stem>.jpg``, ``masks/<split>/<stem>.png`` and ``classes.txt``."""
    for split, stems in SPLITS.items():
        (root / "images" / split).mkdir(parents=True)
        (root / "masks" / split).mkdir(parents=True)
        for stem in stems:
            image = np.full((24, 32, 3), 90, np.uint8)
            cv2.imwrite(str(root / "images" / split / f"{stem}.jpg"), image)
            cv2.imwrite(str(root / "masks" / split / f"{stem}.png"), _square_mask(2))
    (root / "classes.txt").write_text("cat\ndog\n")
    return root


def _voc_seg(root: Path) -> Path:
    """``JPEGImages/``, ``SegmentationClass/`` and ``ImageSets/Segmentation/{train,val}.txt``."""
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / sub).mkdir(parents=True)
    for split, stems in SPLITS.items():
        (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(stems) + "\n")
        for stem in stems:
            image = np.full((24, 32, 3), 90, np.uint8)
            cv2.imwrite(str(root / "JPEGImages" / f"{stem}.jpg"), image)
            cv2.imwrite(str(root / "SegmentationClass" / f"{stem}.png"), _square_mask(15))
    return root


@pytest.mark.parametrize(("build", "fmt"), [(_folder_seg, "folder_seg"), (_voc_seg, "voc_seg")])
def test_a_segmentation_folder_is_checked_with_its_format_defaults(tmp_path, build, fmt):
    root = build(tmp_path / fmt)
    section, kind = load_data_section(root)
    assert (section, kind) == ({"format": fmt, "root": str(root)}, f"{fmt} folder")
    check = check_dataset(section, ("train", "val"), progress=False)
    assert check.exit_code == 0, [f.message for f in check.of_severity("error")]
    assert [check.splits[split]["images"] for split in SPLITS] == [2, 1]
    assert not check.splits["train"]["label_problems"]["invalid"]


def test_a_folder_in_a_detection_and_a_segmentation_layout_is_the_detection_one(tmp_path):
    voc2012 = _voc_seg(tmp_path / "VOC2012")
    for sub in ("Annotations", "ImageSets/Main"):
        (voc2012 / sub).mkdir(parents=True)
    both = _folder_seg(tmp_path / "both")
    (both / "labels").mkdir()
    assert [layout_format(voc2012), layout_format(both)] == ["voc", "yolo"]
    assert load_data_section(both)[0]["format"] == "yolo"
    section, kind = load_data_section(voc2012, ["data.format=voc_seg"])
    assert (section["format"], kind) == ("voc_seg", "voc_seg folder")


def test_a_folder_in_no_layout_names_every_layout(tmp_path):
    (tmp_path / "images").mkdir()  # images/ alone: neither yolo nor folder_seg
    with pytest.raises(ConfigError) as error:
        load_data_section(tmp_path)
    message = str(error.value)
    assert "\n" not in message
    for layout in (
        "coco annotations/instances_<split>.json",
        "voc Annotations/ + ImageSets/Main/",
        "yolo images/ + labels/",
        "voc_seg SegmentationClass/ + ImageSets/Segmentation/",
        "folder_seg images/ + masks/",
    ):
        assert layout in message


def test_a_copied_segmentation_folder_is_warned_about(tmp_path, caplog):
    copy = _folder_seg(tmp_path / "copy")
    (copy / "data.yaml").write_text(f"data:\n  format: folder_seg\n  root: {tmp_path / 'orig'}\n")
    with caplog.at_level(logging.WARNING):
        section, _ = load_data_section(copy)
    assert section["root"] == str(tmp_path / "orig")
    assert any("copied or moved" in r.getMessage() for r in caplog.records)
