"""A VOC split file of file names (``a.jpg``) instead of ids (``a``) is told so: its ids are
file names, and the xml of the id without the suffix is there."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detseg.data.voc import VOCDetection


def test_ids_written_with_their_suffix_are_told_to_drop_it(tmp_path):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    for name in ("a", "b"):
        (tmp_path / "Annotations" / f"{name}.xml").write_text("<annotation></annotation>")
        assert cv2.imwrite(
            str(tmp_path / "JPEGImages" / f"{name}.jpg"), np.zeros((8, 8, 3), np.uint8)
        )
    split = tmp_path / "ImageSets/Main/train.txt"
    split.write_text("a.jpg\nb.jpg\n")
    with pytest.raises(FileNotFoundError) as caught:
        VOCDetection(tmp_path, "train")
    assert str(caught.value) == (
        f"none of the 2 annotation files listed by {split} exists (first: "
        f"{tmp_path / 'Annotations' / 'a.jpg.xml'}, line 1); its ids are file names (a.jpg, "
        "where Annotations holds a.xml): write each id without its suffix (a), one per line"
    )
