"""A missing image whose name is there with another suffix (an annotation written ``a.png``
for the ``a.jpg`` in the folder) says so in its read error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detseg.data.image_io import ImageNotFoundError, read_image_array


def test_the_file_of_another_suffix_is_named(tmp_path):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "a.jpg")
    with pytest.raises(ImageNotFoundError) as info:
        read_image_array(tmp_path / "a.png")
    assert str(info.value).endswith("; a file of that name with another suffix is there: a.jpg")
    assert isinstance(info.value, FileNotFoundError)


def test_no_hint_without_such_a_file(tmp_path):
    (tmp_path / "b.jpg").write_bytes(b"")
    (tmp_path / "a1.jpg").write_bytes(b"")  # what the pattern a[1].* would match
    for missing in (tmp_path / "a.png", tmp_path / "a[1].png", tmp_path / "gone" / "a.png"):
        with pytest.raises(ImageNotFoundError) as info:
            read_image_array(missing)
        assert "another suffix" not in str(info.value)
