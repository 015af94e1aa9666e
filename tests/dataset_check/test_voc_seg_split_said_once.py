"""A voc_seg split file naming an image or label map that is not there is said once by
``tools/check_data.py``: in its report (``unreadable_images``, ``unreadable_labels``), not
again in the reader's warning above it. Training, which has no report, keeps the warning."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
from tool_in_process import run_tool_here

from detseg.data.masks import VOCSegmentation
from detseg.dataset_check import check_dataset


def _voc_seg(root: Path) -> Path:
    """``a``, ``b`` with image and label map; the train split also lists ``gone`` (no image)
    and ``bare`` (an image without a label map)."""
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / folder).mkdir(parents=True)
    mask = np.zeros((16, 16), np.uint8)
    mask[4:8, 4:8] = 1
    for stem, shade in (("a", 0), ("b", 90), ("bare", 180)):
        cv2.imwrite(str(root / "JPEGImages" / f"{stem}.jpg"), np.full((16, 16, 3), shade, np.uint8))
    for stem in ("a", "b"):
        cv2.imwrite(str(root / "SegmentationClass" / f"{stem}.png"), mask)
    (root / "ImageSets/Segmentation/train.txt").write_text("a\ngone\nbare\n")
    (root / "ImageSets/Segmentation/val.txt").write_text("b\n")
    (root / "classes.txt").write_text("cat\n")
    return root


def test_the_check_reports_the_missing_files_without_the_readers_warning(tmp_path, caplog):
    root = _voc_seg(tmp_path / "voc")
    with caplog.at_level(logging.WARNING):
        check = check_dataset({"format": "voc_seg", "root": str(root)}, ("train", "val"))
    assert not [r for r in caplog.records if r.name == "detseg.data.voc_seg_split"]
    codes = {f.code: f for f in check.findings}
    assert codes["unreadable_images"].files[0].startswith("JPEGImages/gone.jpg")
    assert "JPEGImages/bare.jpg" in codes["unreadable_labels"].files[0]


def test_the_reader_still_warns_outside_the_check(tmp_path, caplog):
    root = _voc_seg(tmp_path / "voc")
    check_dataset({"format": "voc_seg", "root": str(root)}, ("train",))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        VOCSegmentation(root, "train")
    said = [r.getMessage() for r in caplog.records if r.name == "detseg.data.voc_seg_split"]
    assert len(said) == 2 and "gone.jpg" in said[0] and "bare.png" in said[1]


def test_check_data_says_each_missing_file_once(tmp_path, capsys):
    root = _voc_seg(tmp_path / "voc")
    code = run_tool_here("check_data.py", root, "--out", tmp_path / "report", "--no-decode")
    out = capsys.readouterr()
    assert code == 0, out.err
    text = out.out + out.err
    assert text.count("gone.jpg") == 1, text
    assert len([line for line in text.splitlines() if "bare." in line]) == 1, text
    assert "VOC split file" not in text, text


def test_the_findings_say_where_the_missing_ids_come_from(tmp_path):
    """The reader's warning is left to the report, so the report's findings carry its
    advice: the split file that names the ids, and the two ways out."""
    root = _voc_seg(tmp_path / "voc")
    check = check_dataset({"format": "voc_seg", "root": str(root)}, ("train", "val"))
    codes = {f.code: f for f in check.findings}
    assert codes["unreadable_images"].message.endswith(
        "training skips it; 1 missing image file is named by the split file "
        "ImageSets/Segmentation/train.txt: remove its id from train.txt or add the image file"
    )
    assert codes["unreadable_labels"].message.endswith(
        "training skips it; 1 missing label map file is named by the split file "
        "ImageSets/Segmentation/train.txt: remove its id from train.txt or add the label map "
        "file"
    )


def test_check_data_prints_the_advice_with_the_finding(tmp_path, capsys):
    root = _voc_seg(tmp_path / "voc")
    run_tool_here("check_data.py", root, "--out", tmp_path / "report", "--no-decode")
    out = capsys.readouterr().out
    assert "remove its id from train.txt or add the image file" in out, out
