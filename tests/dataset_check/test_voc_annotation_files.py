"""A VOC split with missing or malformed xml files: the check reports them as a warning."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detseg.data import VOCDetection
from detseg.dataset_check import check_dataset

_XML = (
    "<annotation><filename>{name}.jpg</filename><object><name>cat</name><bndbox><xmin>3</xmin>"
    "<ymin>3</ymin><xmax>20</xmax><ymax>18</ymax></bndbox></object></annotation>"
)


def _voc(root: Path) -> Path:
    """Four images listed by ``train.txt``: ``b.xml`` is cut short, ``c.xml`` is absent."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    names = ["a", "b", "c", "d"]
    for name in names:
        cv2.imwrite(str(root / "JPEGImages" / f"{name}.jpg"), np.zeros((24, 32, 3), np.uint8))
        (root / "Annotations" / f"{name}.xml").write_text(_XML.format(name=name))
    (root / "Annotations" / "b.xml").write_text("<annotation><object><name>cat")
    (root / "Annotations" / "c.xml").unlink()
    (root / "ImageSets" / "Main" / "train.txt").write_text("\n".join(names) + "\n")
    return root


def test_reader_lists_the_unreadable_xml_files(tmp_path):
    root = _voc(tmp_path / "voc")
    dataset = VOCDetection(root, "train")
    problems = dict(dataset.unreadable_annotation_files)
    assert sorted(problems) == [root / "Annotations" / "b.xml", root / "Annotations" / "c.xml"]
    assert problems[root / "Annotations" / "c.xml"] == "missing file"
    assert "line 1" in problems[root / "Annotations" / "b.xml"]


def test_check_warns_about_unreadable_xml_files(tmp_path):
    root = _voc(tmp_path / "voc")
    data = {"format": "voc", "root": str(root), "train_split": "train", "val_split": "train"}
    check = check_dataset(data, ("train",))
    found = [f for f in check.findings if f.code == "unreadable_annotation_files"]
    assert len(found) == 1, [f.code for f in check.findings]
    finding = found[0]
    assert finding.severity == "warning" and finding.count == 2
    assert finding.files[0].startswith("Annotations/b.xml: ")
    assert finding.files[1] == "Annotations/c.xml: missing file"
    assert "without objects" in finding.message
    assert check.splits["train"]["unreadable_annotation_files"] == 2
    assert check.exit_code == 0
