"""A VOC dataset without ``data.classes`` takes its class names from the xml files of a split;
training gives the val split the train split's names, and so does the check: a class missing
from val keeps its label (and is noted as without objects there), and a val object of a class
train lacks is one the reader skips (a warning), not a class of its own."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detseg.dataset_check import check_dataset


def _xml(name: str, classes: list[str]) -> str:
    objects = "".join(
        f"<object><name>{c}</name><bndbox><xmin>{3 + 8 * k}</xmin><ymin>3</ymin>"
        f"<xmax>{9 + 8 * k}</xmax><ymax>18</ymax></bndbox></object>"
        for k, c in enumerate(classes)
    )
    return f"<annotation><filename>{name}.jpg</filename>{objects}</annotation>"


def _voc(root: Path, splits: dict[str, dict[str, list[str]]]) -> Path:
    """``splits``: ``{split: {image id: [class of each object]}}``."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for split, images in splits.items():
        for name, classes in images.items():
            cv2.imwrite(str(root / "JPEGImages" / f"{name}.jpg"), np.zeros((24, 48, 3), np.uint8))
            (root / "Annotations" / f"{name}.xml").write_text(_xml(name, classes))
        (root / "ImageSets" / "Main" / f"{split}.txt").write_text("\n".join(images) + "\n")
    return root


def test_val_takes_the_train_class_names(tmp_path):
    root = _voc(
        tmp_path / "voc",
        {
            "train": {"a": ["cat", "dog"], "b": ["emu"]},
            "val": {"c": ["dog", "dgo"]},  # no cat, no emu; a misspelt name
        },
    )
    data = {"format": "voc", "root": str(root), "train_split": "train", "val_split": "val"}
    for splits in (("train", "val"), ("val",)):
        check = check_dataset(data, splits, progress=False)
        val = check.splits["val"]
        assert list(val["classes"]) == ["cat", "dog", "emu"]
        assert val["objects"] == 1 and val["rejected_annotations"] == 1
        (missing,) = [
            f for f in check.findings if f.code == "classes_without_objects" and f.split == "val"
        ]
        assert missing.message.endswith("in val: cat, emu")


def test_val_without_a_train_split_keeps_its_own_names(tmp_path):
    root = _voc(tmp_path / "voc", {"val": {"c": ["dog", "dgo"]}})
    data = {"format": "voc", "root": str(root), "train_split": "train", "val_split": "val"}
    check = check_dataset(data, ("val",), progress=False)
    assert list(check.splits["val"]["classes"]) == ["dgo", "dog"]
