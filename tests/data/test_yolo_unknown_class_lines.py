"""Training's warning for YOLO class ids outside the class list names the first few label
files and lines that hold them (one warning for the split, not one per line)."""

from __future__ import annotations

import logging

import pytest
from PIL import Image

from detseg.data.yolo import YoloTxtDetection


def _dataset(root, labels: dict[str, str]):
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for stem, text in labels.items():
        Image.new("RGB", (8, 8)).save(root / "images" / f"{stem}.png")
        (root / "labels" / f"{stem}.txt").write_text(text)
    return root


def test_the_warning_names_files_and_lines(tmp_path, caplog):
    good = "0 0.5 0.5 0.2 0.2\n"
    root = _dataset(
        tmp_path,
        {
            "a": good * 4 + "3 0.5 0.5 0.2 0.2\n",
            "b": good * 4,
            "c": good + "\n7 0.5 0.5 0.2 0.2\n7 0.4 0.4 0.2 0.2\n",
        },
    )
    with caplog.at_level(logging.WARNING, logger="detseg.data"):
        YoloTxtDetection(root / "images", classes=["x", "y"])
    warnings = [r.getMessage() for r in caplog.records if "class index outside" in r.getMessage()]
    assert len(warnings) == 1
    assert "a.txt:5" in warnings[0] and "c.txt:3" in warnings[0] and "c.txt:4" in warnings[0]


def test_the_error_names_files_and_lines(tmp_path):
    root = _dataset(tmp_path, {"a": "5 0.5 0.5 0.2 0.2\n"})
    with pytest.raises(ValueError, match=r"a\.txt:1"):
        YoloTxtDetection(root / "images", classes=["x"])
