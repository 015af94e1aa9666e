"""Very large images: a photo of over 179 million pixels keeps its EXIF orientation readable
(Pillow's ``Image.open`` refuses such a file as a "decompression bomb"), and a file over
OpenCV's pixel limit is an ``ImageReadError`` of one line that says how to raise the limit.

Both files are headers only: nothing of their size is ever allocated.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from detseg.data.image_io import ImageReadError, exif_orientation, read_image


def _jpeg_stating(width: int, height: int, orientation: int) -> bytes:
    """A small JPEG with EXIF ``orientation`` whose frame header states ``width x height``."""
    image = Image.fromarray(np.zeros((16, 16, 3), np.uint8))
    exif = image.getexif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")  # baseline frame: length(2) precision(1) height(2) width(2)
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


def _png_stating(width: int, height: int) -> bytes:
    """A grayscale PNG header stating ``width x height`` with a few rows of pixels."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


@pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
def test_orientation_of_a_200_megapixel_photo_is_read_from_its_header():
    assert exif_orientation(_jpeg_stating(20000, 10000, 6)) == 6
    assert exif_orientation(_jpeg_stating(12000, 9000, 3)) == 3  # 108 MP: no Pillow warning
    assert exif_orientation(_jpeg_stating(20000, 10000, 1)) == 1


def test_exif_orientation_of_damaged_headers_is_upright():
    data = _jpeg_stating(64, 48, 6)
    start = data.index(b"Exif\x00\x00")
    assert exif_orientation(data[: start + 12]) == 1  # cut inside the EXIF block
    assert exif_orientation(data[:start] + b"Exif\x00\x00" + b"\xff" * 40) == 1
    assert exif_orientation(b"\xff\xd8\xff\xe1\x00") == 1


def test_an_image_over_the_opencv_pixel_limit_is_one_line_that_names_the_setting(tmp_path):
    path = tmp_path / "orthophoto.png"
    path.write_bytes(_png_stating(40000, 30000))  # 1.2e9 pixels > 2**30
    with pytest.raises(ImageReadError) as error:
        read_image(path)
    message = str(error.value)
    assert "\n" not in message and str(path) in message
    assert "OPENCV_IO_MAX_IMAGE_PIXELS" in message and "more pixels" in message
