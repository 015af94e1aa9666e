"""A VOC detection split file naming an image that is not in ``JPEGImages`` is said once by
``tools/check_data.py``: in its report (``unreadable_images``, ending with the split file that
names the id and what to do), not again in the reader's warning above it. Training, which has
no report, keeps the warning."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
from tool_in_process import run_tool_here

from detseg.data.said_once import say_dataset_warnings_once
from detseg.data.voc import VOCDetection
from detseg.dataset_check import check_dataset

_READER = "detseg.data.voc_split_files"


def _voc(root: Path) -> Path:
    """Images ``a``, ``b`` with their xml; the train split also lists ``gone``, whose xml is
    there but whose image is not."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for name in ("a", "b", "gone"):
        (root / "Annotations" / f"{name}.xml").write_text(
            f"<annotation><filename>{name}.jpg</filename><object><name>cat</name><bndbox>"
            "<xmin>2</xmin><ymin>2</ymin><xmax>12</xmax><ymax>12</ymax></bndbox></object>"
            "</annotation>"
        )
    for name in ("a", "b"):
        cv2.imwrite(str(root / "JPEGImages" / f"{name}.jpg"), np.zeros((16, 16, 3), np.uint8))
    (root / "ImageSets/Main/train.txt").write_text("a\ngone\n")
    (root / "ImageSets/Main/val.txt").write_text("b\n")
    return root


def _data(root: Path) -> dict[str, str]:
    return {"format": "voc", "root": str(root), "train_split": "train", "val_split": "val"}


def test_the_check_reports_the_missing_image_without_the_readers_warning(tmp_path, caplog):
    root = _voc(tmp_path / "voc")
    with caplog.at_level(logging.WARNING):
        check = check_dataset(_data(root), ("train", "val"), progress=False)
    assert not [r for r in caplog.records if r.name == _READER]
    finding = {f.code: f for f in check.findings}["unreadable_images"]
    assert finding.files[0].startswith("JPEGImages/gone.jpg")
    assert finding.message.endswith(
        "training skips it; 1 missing image file is named by the split file "
        "ImageSets/Main/train.txt: remove its id from train.txt or add the image file"
    )
    assert check.splits["train"]["missing_listed"] == {"image": 1}


def test_the_reader_still_warns_outside_the_check(tmp_path, caplog):
    root = _voc(tmp_path / "voc")
    check_dataset(_data(root), ("train",), progress=False)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        VOCDetection(root, "train")
    said = [r.getMessage() for r in caplog.records if r.name == _READER]
    assert len(said) == 1 and "gone.jpg (line 2)" in said[0]


def test_check_data_says_the_missing_image_once(tmp_path, capsys):
    root = _voc(tmp_path / "voc")
    args = ("--set", "data.format=voc", "data.train_split=train", "data.val_split=val")
    code = run_tool_here("check_data.py", root, *args, "--out", tmp_path / "report", "--no-decode")
    out = capsys.readouterr()
    assert code == 0, out.err
    text = out.out + out.err
    assert text.count("gone.jpg") == 1, text
    assert "VOC split file" not in text, text
    assert "remove its id from train.txt or add the image file" in out.out, out.out


def test_a_warning_the_check_left_out_is_not_counted_as_said(tmp_path, caplog):
    """In a process where a run made the readers' warnings said-once, the check's dropped
    warning is not taken as said: the reader built afterwards still warns."""
    say_dataset_warnings_once()
    root = _voc(tmp_path / "voc")
    check_dataset(_data(root), ("train",), progress=False)
    with caplog.at_level(logging.WARNING):
        VOCDetection(root, "train")
    said = [r.getMessage() for r in caplog.records if r.name == _READER]
    assert len(said) == 1 and "gone.jpg (line 2)" in said[0]
