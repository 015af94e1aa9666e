"""VOC ``classes: null``: the log line counts the xml files the names were read from, not the
split's malformed ones."""

from __future__ import annotations

import logging

from PIL import Image

from detseg.data.voc import VOCDetection


def _voc(root, xml_ids, split_ids):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for name in split_ids:
        Image.new("RGB", (16, 16)).save(root / "JPEGImages" / f"{name}.jpg")
    for name in xml_ids:
        (root / "Annotations" / f"{name}.xml").write_text(
            f"<annotation><filename>{name}.jpg</filename><object><name>cat</name>"
            "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>8</xmax><ymax>8</ymax></bndbox>"
            "</object></annotation>"
        )
    (root / "ImageSets/Main/trainval.txt").write_text("\n".join(split_ids) + "\n")


def test_class_names_log_counts_only_read_files(tmp_path, caplog):
    _voc(tmp_path, ["a", "b"], ["a", "b", "c"])
    (tmp_path / "Annotations" / "c.xml").write_text("<annotation><object>")  # cut short
    with caplog.at_level(logging.INFO, logger="detseg.data.voc"):
        dataset = VOCDetection(tmp_path, "trainval")
    assert dataset.classes == ["cat"]
    assert "VOC classes from 2 annotation files: cat" in caplog.text
