"""VOC ``classes: null``: a class with very few objects beside the others (a typo'd
``<name>``, ``dgo`` among ``dog``) makes the class list a WARNING that names the class, its
files and ``data.classes``; the rule is :func:`detseg.data.class_names.rare_classes`."""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

from detseg.data.class_names import rare_classes
from detseg.data.voc import VOCDetection


def _voc(root: Path, names_per_image: dict[str, list[str]]) -> Path:
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for image_id, names in names_per_image.items():
        Image.new("RGB", (8, 8)).save(root / "JPEGImages" / f"{image_id}.jpg")
        body = "".join(
            f"<object><name>{n}</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>4</xmax>"
            "<ymax>4</ymax></bndbox></object>"
            for n in names
        )
        (root / "Annotations" / f"{image_id}.xml").write_text(f"<annotation>{body}</annotation>")
    (root / "ImageSets/Main/train.txt").write_text("\n".join(names_per_image) + "\n")
    return root


def test_a_typo_among_many_objects_is_a_warning_naming_its_files(tmp_path, caplog):
    images = {f"d{k:03d}": ["dog"] * 5 for k in range(100)}  # 500 dog
    images["d007"] = ["dog", "dgo"]
    images["d050"] = ["dgo", "cat"] + ["cat"] * 99  # 100 cat
    root = _voc(tmp_path, images)
    with caplog.at_level(logging.INFO, logger="detseg.data"):
        dataset = VOCDetection(root, "train")
    assert dataset.classes == ["cat", "dgo", "dog"]
    [record] = [r for r in caplog.records if "VOC classes from" in r.getMessage()]
    message = record.getMessage()
    assert record.levelno == logging.WARNING
    assert message.startswith("VOC classes from 100 annotation files: cat (100), dgo (2), dog ")
    assert "Class dgo has very few objects" in message
    assert "Found dgo in Annotations/d007.xml, Annotations/d050.xml;" in message
    assert "data.classes" in message


def test_balanced_or_small_datasets_log_at_info(tmp_path, caplog):
    root = _voc(tmp_path, {"a": ["cat", "dog"], "b": ["dog"]})
    with caplog.at_level(logging.INFO, logger="detseg.data"):
        VOCDetection(root, "train")
    [record] = [r for r in caplog.records if "VOC classes from" in r.getMessage()]
    assert record.levelno == logging.INFO
    assert record.getMessage() == "VOC classes from 2 annotation files: cat (1), dog (2)"


def test_the_rule_needs_both_few_objects_and_a_small_share():
    assert rare_classes({"dgo": 4, "dog": 1000}) == ["dgo"]
    assert rare_classes({"dgo": 5, "dog": 1000}) == []  # 5 objects: not few
    assert rare_classes({"dgo": 1, "dog": 100}) == []  # 1 % of the largest: not small
    assert rare_classes({"dgo": 1, "dog": 101}) == ["dgo"]
    assert rare_classes({}) == []
