"""A file listed twice by a split is reported as such: a VOC id repeated in its split file,
which the reader reads once, as a repeated id."""

from __future__ import annotations

import cv2
import numpy as np

from detseg.dataset_check import check_dataset
from detseg.dataset_check.findings import _content_group


def test_content_group_names_a_repeated_listing():
    assert _content_group(["a.png", "b.png"]) == "a.png = b.png"
    assert _content_group(["a.png", "a.png"]) == "a.png (listed 2 times)"
    assert _content_group(["a.png", "b.png", "a.png"]) == "a.png (listed 2 times) = b.png"


def test_voc_id_listed_twice(tmp_path):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    rng = np.random.default_rng(0)
    box = "<bndbox><xmin>2</xmin><ymin>2</ymin><xmax>9</xmax><ymax>9</ymax></bndbox>"
    for name in ("a", "b"):
        pixels = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
        cv2.imwrite(str(tmp_path / "JPEGImages" / f"{name}.png"), pixels)
        xml = f"<annotation><filename>{name}.png</filename><object><name>cat</name>{box}"
        (tmp_path / "Annotations" / f"{name}.xml").write_text(xml + "</object></annotation>")
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text("a\nb\na\n")
    data = {"format": "voc", "root": str(tmp_path), "train_split": "train"}
    check = check_dataset(data, ("train",))
    # the reader reads a once: no image is there twice, and the report names the repeat
    assert check.splits["train"]["images"] == 2
    assert not [f for f in check.findings if f.code == "duplicate_contents"]
    found = [f for f in check.findings if f.code == "repeated_ids"]
    assert len(found) == 1, [f.code for f in check.findings]
    assert (found[0].severity, found[0].split, found[0].count) == ("warning", "train", 1)
    assert found[0].files == ["a (lines 1 and 3)"]
    split_file = tmp_path / "ImageSets" / "Main" / "train.txt"
    assert found[0].message == (
        f"VOC split file {split_file} lists 1 id more than once: a at lines 1 and 3; each is "
        "read once, at its first line (delete the repeated lines)"
    )
