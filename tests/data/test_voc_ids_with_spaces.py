"""A VOC image named with a space: its split line's id ends at the space.

VOC split lines are ``<id> [flag]``, so a line ``my photo`` lists the id ``my``, whose
``Annotations/my.xml`` is missing. The error names the missing file as before and adds why:
the xml with the space cannot be listed, and the fix (rename it and its image).
"""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from detseg.data import build_dataset


def _voc(root, stems, split_lines):
    (root / "Annotations").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    (root / "ImageSets" / "Main").mkdir(parents=True)
    for stem in stems:
        cv2.imwrite(str(root / "JPEGImages" / f"{stem}.png"), np.zeros((16, 16, 3), np.uint8))
        (root / "Annotations" / f"{stem}.xml").write_text(
            f"<annotation><filename>{stem}.png</filename></annotation>"
        )
    (root / "ImageSets" / "Main" / "train.txt").write_text("\n".join(split_lines) + "\n")
    return {"format": "voc", "root": str(root), "train_split": "train", "classes": ["a"]}


def test_an_id_with_a_space_names_the_file_and_the_fix(tmp_path):
    data = _voc(tmp_path, ["first", "my photo"], ["first", "my photo"])
    message = (
        f"1 of the 2 images listed by {tmp_path / 'ImageSets/Main/train.txt'} has no annotation "
        f"file: {tmp_path / 'Annotations/my.xml'}; remove its id from train.txt or add the xml "
        "file (an image without objects is an xml without <object>); VOC image ids end at the "
        "first space of a split line, so 'my photo.xml' cannot be listed: rename it and its "
        "image without spaces"
    )
    with pytest.raises(FileNotFoundError, match=f"^{re.escape(message)}$"):
        build_dataset(data, "train")


def test_a_missing_file_without_such_a_namesake_gets_no_hint(tmp_path):
    data = _voc(tmp_path, ["first", "other photo"], ["first", "second"])
    with pytest.raises(FileNotFoundError) as error:
        build_dataset(data, "train")
    assert str(error.value).endswith("(an image without objects is an xml without <object>)")
