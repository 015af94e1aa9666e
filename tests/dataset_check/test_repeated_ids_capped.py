"""The ``repeated_ids`` finding of a split file that lists one id 2000 times names the id with
its first few lines and how many more, in its message and its files, not every line."""

from __future__ import annotations

import cv2
import numpy as np

from detseg.dataset_check import check_dataset


def test_an_id_listed_2000_times_is_a_short_finding(tmp_path):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    box = "<bndbox><xmin>2</xmin><ymin>2</ymin><xmax>9</xmax><ymax>9</ymax></bndbox>"
    for name in ("a", "b"):
        cv2.imwrite(str(tmp_path / "JPEGImages" / f"{name}.png"), np.zeros((16, 16, 3), np.uint8))
        xml = f"<annotation><filename>{name}.png</filename><object><name>cat</name>{box}"
        (tmp_path / "Annotations" / f"{name}.xml").write_text(xml + "</object></annotation>")
    split_file = tmp_path / "ImageSets" / "Main" / "train.txt"
    split_file.write_text("a\n" * 2000 + "b\nb\n")
    data = {"format": "voc", "root": str(tmp_path), "train_split": "train"}
    check = check_dataset(data, ("train",), decode=False, progress=False)
    (found,) = [f for f in check.findings if f.code == "repeated_ids"]
    assert found.files == ["a (lines 1, 2, 3 and 1997 more)", "b (lines 2001 and 2002)"]
    assert found.message == (
        f"VOC split file {split_file} lists 2 ids more than once: a at lines 1, 2, 3 and 1997 "
        "more, b at lines 2001 and 2002; each is read once, at its first line (delete the "
        "repeated lines)"
    )
