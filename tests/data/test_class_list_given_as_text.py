"""A class list is a list of names: a string (``"cats.txt"``, ``"cat"``), bytes or a mapping
given where a list is expected would be read item by item (the classes ``c``, ``a``, ``t``; a
dict's keys), so :func:`~detseg.data.class_names.listed_class_names` refuses it in one line
that says what to give. ``VOCSegmentation(classes=...)`` takes a list (the config's
``data.classes`` file is read before it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detseg.data.class_names import listed_class_names
from detseg.data.masks import VOCSegmentation

ADVICE = (
    "give a list of names (a file of names is read by read_class_names, and data.classes "
    "takes its path where the config allows one)"
)


@pytest.mark.parametrize(
    ("values", "shown"),
    [("cat", "the string 'cat'"), (b"cat", "the bytes b'cat'"), ({0: "cat"}, "the mapping")],
)
def test_text_or_a_mapping_is_no_class_list(values, shown):
    with pytest.raises(ValueError) as caught:
        listed_class_names(values, "data.classes")
    message = str(caught.value)
    assert message.startswith(f"data.classes: expected a list of class names, got {shown}")
    assert message.endswith(ADVICE) and "\n" not in message


def test_a_tuple_of_names_is_a_list():
    assert listed_class_names((" cat", "dog"), "data.classes") == ["cat", "dog"]


def test_voc_seg_refuses_a_class_file_name_as_its_list(tmp_path):
    root = tmp_path / "voc"
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / folder).mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "JPEGImages" / "a.jpg")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "SegmentationClass" / "a.png")
    (root / "ImageSets/Segmentation/train.txt").write_text("a\n")
    with pytest.raises(ValueError) as caught:
        VOCSegmentation(Path(root), "train", classes="cats.txt")  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"data.classes: expected a list of class names, got the string 'cats.txt': {ADVICE}"
    )
