"""A missing image whose name is there with another suffix (an annotation written ``a.png``
for the ``a.jpg`` in the folder) says so in its read error."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from detseg.data import CocoDetection
from detseg.data.image_io import ImageNotFoundError, read_image_array


def test_the_file_of_another_suffix_is_named(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "a.jpg")
    with pytest.raises(ImageNotFoundError) as info:
        read_image_array(tmp_path / "a.png")
    assert str(info.value).endswith("; a.jpg is there: fix the name")
    assert isinstance(info.value, FileNotFoundError)


def test_no_hint_without_such_a_file(tmp_path):
    (tmp_path / "b.jpg").write_bytes(b"")
    (tmp_path / "a1.jpg").write_bytes(b"")  # what the pattern a[1].* would match
    for missing in (tmp_path / "a.png", tmp_path / "a[1].png", tmp_path / "gone" / "a.png"):
        with pytest.raises(ImageNotFoundError) as info:
            read_image_array(missing)
        assert "is there" not in str(info.value)


def test_other_files_of_that_stem_are_no_images_to_name(tmp_path):
    for name in ("a.json", "a.txt", "c.JPG"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(ImageNotFoundError) as info:
        read_image_array(tmp_path / "a.png")  # a LabelMe json and a label file beside it
    assert "is there" not in str(info.value)
    with pytest.raises(ImageNotFoundError) as info:
        read_image_array(tmp_path / "c.jpg")  # only the case differs
    assert str(info.value).endswith("; c.JPG is there: fix the name")


def test_a_folder_of_other_suffixes_is_told_so_when_the_split_is_built(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    entries = []
    for k in (1, 2):
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(images / f"{k}.png")
        entries.append({"id": k, "file_name": f"{k}.jpg", "width": 4, "height": 4})
    ann = tmp_path / "a.json"
    categories = [{"id": 1, "name": "cat"}]
    ann.write_text(json.dumps({"images": entries, "annotations": [], "categories": categories}))
    with pytest.raises(FileNotFoundError) as info:
        CocoDetection(images, ann)
    assert str(info.value) == (
        f"first image of {ann} not found at {images / '1.jpg'} (nor any other of its first 2 "
        "images), but 1.png is there: the image files have another suffix than the json's "
        "file_name entries; fix the entries or convert the images back"
    )
