"""A file OpenCV decodes nothing from: a damaged PNG or JPEG is "not a valid image", a file of a
format detseg does not read (HEIC, TGA, a text file) names its suffix and the formats to
convert it to."""

from __future__ import annotations

import pytest

from detseg.data.image_io import IMAGE_SUFFIXES, ImageReadError, read_image


@pytest.mark.parametrize("name", ["photo.heic", "texture.tga", "notes.txt", "README"])
def test_a_format_detseg_does_not_read_is_named_with_the_formats_to_convert_to(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"not pixels at all\n" * 8)
    with pytest.raises(ImageReadError) as raised:
        read_image(path)
    message = str(raised.value)
    kind = f"a {path.suffix} file" if path.suffix else "a file without a suffix"
    assert message.startswith(f"cannot read image {path}: {kind} that OpenCV could not decode")
    assert "convert it to one of " + " ".join(IMAGE_SUFFIXES) in message


def test_a_damaged_file_of_a_read_format_is_not_told_to_convert(tmp_path):
    path = tmp_path / "broken.PNG"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(ImageReadError, match="not a valid or supported image") as raised:
        read_image(path)
    assert "convert it" not in str(raised.value)
