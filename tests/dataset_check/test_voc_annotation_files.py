"""A VOC split with xml files that are not well-formed: the reader leaves their images out and
the check reports them as a warning. A split that lists an image without its xml is an error of
the reader, in training and in the check."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from tool_modules import load_tool

from detseg.data import VOCDetection
from detseg.dataset_check import check_dataset

_XML = (
    "<annotation><filename>{name}.jpg</filename><object><name>cat</name><bndbox><xmin>3</xmin>"
    "<ymin>3</ymin><xmax>20</xmax><ymax>18</ymax></bndbox></object></annotation>"
)


def _voc(root: Path, names: list[str], absent: tuple[str, ...] = ()) -> Path:
    """The images ``names`` listed by ``train.txt``: ``b.xml`` is cut short, the xml files of
    ``absent`` are missing."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for name in names:
        cv2.imwrite(str(root / "JPEGImages" / f"{name}.jpg"), np.zeros((24, 32, 3), np.uint8))
        if name not in absent:
            (root / "Annotations" / f"{name}.xml").write_text(_XML.format(name=name))
    if "b" in names:
        (root / "Annotations" / "b.xml").write_text("<annotation><object><name>cat")
    (root / "ImageSets" / "Main" / "train.txt").write_text("\n".join(names) + "\n")
    return root


def _check_data_error_line(root: Path, tmp_path: Path, monkeypatch, capsys) -> str:
    """``check_data DATA_YAML --splits train --no-decode`` on the VOC folder ``root``, run in
    process as the command (its ``cli``, which the script's ``__main__`` calls): exit code 2
    and no traceback; returns the last stderr line."""
    data_file = tmp_path / "data.yaml"
    data_file.write_text(
        f"data:\n  format: voc\n  root: {root}\n  train_split: train\n  val_split: train\n"
    )
    argv = [str(data_file), "--splits", "train", "--no-decode", "--out", str(tmp_path / "report")]
    monkeypatch.setattr(sys, "argv", ["check_data.py", *argv])
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        load_tool("check_data.py").cli()
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_reader_lists_the_malformed_xml_files(tmp_path):
    root = _voc(tmp_path / "voc", ["a", "b", "c", "d"])
    dataset = VOCDetection(root, "train")
    problems = dict(dataset.unreadable_annotation_files)
    assert sorted(problems) == [root / "Annotations" / "b.xml"]
    assert "line 1" in problems[root / "Annotations" / "b.xml"]
    assert dataset.names == ["a", "c", "d"] and len(dataset) == 3


def test_check_warns_about_malformed_xml_files(tmp_path):
    root = _voc(tmp_path / "voc", ["a", "b", "c", "d"])
    data = {"format": "voc", "root": str(root), "train_split": "train", "val_split": "train"}
    check = check_dataset(data, ("train",))
    found = [f for f in check.findings if f.code == "unreadable_annotation_files"]
    assert len(found) == 1, [f.code for f in check.findings]
    finding = found[0]
    assert finding.severity == "warning" and finding.count == 1
    assert finding.files[0].startswith("Annotations/b.xml: ")
    assert "training and evaluation leave its image out" in finding.message
    assert "fix the file, or remove its id from the split file" in finding.message
    assert check.splits["train"]["unreadable_annotation_files"] == 1
    assert check.splits["train"]["images"] == 3  # b.jpg is not scanned
    assert check.splits["train"]["empty_images"] == 0  # nor counted as an image without objects
    assert check.exit_code == 0


def test_check_data_reports_a_split_of_unreadable_xml_files_as_training_does(
    tmp_path, monkeypatch, capsys
):
    """tools/check_data.py: every xml unreadable is the reader's error naming the split file,
    exit code 2, no traceback."""
    root = _voc(tmp_path / "voc", ["b"])
    line = _check_data_error_line(root, tmp_path, monkeypatch, capsys)
    assert re.fullmatch(
        r"check_data: error: none of the 1 annotation files listed by \S+train\.txt can be "
        r"read: \S+b\.xml \(.*line 1.*\); fix the xml file",
        line,
    ), line


def test_missing_xml_is_an_error_naming_it(tmp_path):
    """An image of the split without its xml is not read as an image without objects."""
    root = _voc(tmp_path / "voc", ["a", "c", "d"], absent=("c",))
    split_file = root / "ImageSets" / "Main" / "train.txt"
    with pytest.raises(FileNotFoundError) as raised:
        VOCDetection(root, "train")
    assert str(raised.value) == (
        f"1 of the 3 images listed by {split_file} has no annotation file: "
        f"{root / 'Annotations' / 'c.xml'}; remove its id from train.txt or add the xml file "
        "(an image without objects is an xml without <object>)"
    )


def test_missing_xml_files_are_counted_and_the_first_named(tmp_path):
    names = [f"img{i}" for i in range(8)]
    root = _voc(tmp_path / "voc", names, absent=tuple(names[1:6]))
    with pytest.raises(FileNotFoundError) as raised:
        VOCDetection(root, "train")
    message = str(raised.value)
    shown = ", ".join(str(root / "Annotations" / f"{n}.xml") for n in names[1:4])
    assert f"5 of the 8 images listed by {root / 'ImageSets' / 'Main' / 'train.txt'} have no " in (
        message
    )
    assert f"annotation file: {shown} and 2 more; remove their ids from train.txt" in message


def test_check_data_reports_a_missing_xml_as_training_does(tmp_path, monkeypatch, capsys):
    """tools/check_data.py: the reader's line, exit code 2, no traceback."""
    root = _voc(tmp_path / "voc", ["a", "c", "d"], absent=("c",))
    line = _check_data_error_line(root, tmp_path, monkeypatch, capsys)
    assert re.fullmatch(
        r"check_data: error: 1 of the 3 images listed by \S+train\.txt has no annotation file: "
        r"\S+c\.xml; remove its id from train\.txt or add the xml file .*",
        line,
    ), line
