"""Label maps over Pillow's decompression-bomb limit: the header tells their size, so the EXIF
orientation rule (label map = stored size transposed) applies to them, and they are read up to
the images' (OpenCV's) pixel limit; Pillow's limit is back in place afterwards. The hint for a
label map of swapped size states that rule."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from detseg.data.image_io import ImageReadError
from detseg.data.label_maps import check_label_map, read_label_map
from detseg.data.masks import FolderSegmentation


def _png_stating(width: int, height: int) -> bytes:
    """A grayscale PNG header stating ``width x height`` with one row of pixels."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_the_size_of_a_label_map_over_the_pixel_limit_is_read_from_its_header(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(tmp_path / "images" / "a.jpg")
    (tmp_path / "masks" / "a.png").write_bytes(_png_stating(12000, 40000))  # 480 Mpx
    limit = Image.MAX_IMAGE_PIXELS
    dataset = FolderSegmentation(tmp_path / "images", tmp_path / "masks", ["a"])
    assert dataset.labelled_size(0) == (40000, 12000)
    assert Image.MAX_IMAGE_PIXELS == limit and limit is not None


def test_a_swapped_label_map_hint_states_the_orientation_rule():
    with pytest.raises(ValueError) as error:
        check_label_map(np.zeros((40, 20), np.uint8), (20, 40), 1, "masks/photo.png")
    message = str(error.value)
    assert "orientation (5..8) swaps width and height" in message
    assert "stored size transposed" in message and "exif_transpose" in message


def test_a_label_map_over_pillows_limit_reads_as_its_image_does(tmp_path, monkeypatch):
    """Pillow's limit (made 100 px here) does not apply: OpenCV's, the images', does."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    Image.fromarray(np.full((20, 20), 3, np.uint8)).save(tmp_path / "a.png")  # 400 px
    assert read_label_map(tmp_path / "a.png").tolist() == [[3] * 20] * 20
    assert Image.MAX_IMAGE_PIXELS == 100
    monkeypatch.setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "399")
    with pytest.raises(ImageReadError, match=r"a\.png.*400 pixels.*OPENCV_IO_MAX_IMAGE_PIXELS"):
        read_label_map(tmp_path / "a.png")
