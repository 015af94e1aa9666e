"""``predict([...])`` with one unreadable file still raises (no result is silently lost), with a
message naming the file and its position among the inputs, and saying what skips bad files."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.api.inputs import as_images
from detseg.data.image_io import ImageNotFoundError, ImageReadError


def test_an_unreadable_file_is_named_with_its_position(image_file, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(ImageReadError) as caught:
        as_images([image_file, np.zeros((4, 4, 3), np.uint8), str(bad), image_file])
    message = str(caught.value)
    assert message.startswith(f"item 2 of the 4 inputs: cannot read image {bad}: ")
    assert "tools/infer.py" in message and "predict_images" in message
    assert caught.value.path == bad


def test_a_missing_file_stays_a_file_not_found_error(image_file, tmp_path):
    missing = tmp_path / "gone.png"
    with pytest.raises(ImageNotFoundError, match=r"^item 1 of the 2 inputs: cannot read image "):
        as_images([image_file, missing])


def test_an_unreadable_file_of_a_pattern_is_named(image_file, tmp_path):
    (tmp_path / "a.png").write_bytes(image_file.read_bytes())
    (tmp_path / "b.png").write_bytes(b"broken")
    pattern = f"{tmp_path}/*.png"
    with pytest.raises(ImageReadError, match=r"^file 1 of the 2 matching .*\*\.png: cannot read"):
        as_images(pattern)
