"""A large image (aerial, slide scan) is not taken for a broken file by the header check.

Pillow refuses to open a file of over ~179 million pixels as a possible decompression bomb;
training decodes with OpenCV, which reads up to 2**30 pixels, so the check reads the header
without Pillow's limit.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from PIL import Image

from detseg.dataset_check import check_dataset


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _large_png_header(path: Path, width: int, height: int) -> None:
    """A grayscale PNG header of ``width x height`` px and the start of its pixel data (enough
    for a header read; a full decode would find it truncated)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    start = zlib.compress(b"\x00" * (width + 1))
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", start)
    path.write_bytes(png)


def test_an_image_over_pillows_pixel_limit_is_read_at_its_header_size(tmp_path):
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train").mkdir(parents=True)
    _large_png_header(tmp_path / "images" / "train" / "tile.png", 15000, 13000)
    assert 15000 * 13000 > 2 * Image.MAX_IMAGE_PIXELS  # Image.open refuses it
    (tmp_path / "labels" / "train" / "tile.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (tmp_path / "classes.txt").write_text("a\n")
    data = {"format": "yolo", "root": str(tmp_path)}
    check = check_dataset(data, ("train",), decode=False)
    (record,) = check.scans["train"].records
    assert record.error is None and record.size == (13000, 15000)
    assert check.splits["train"]["unreadable"] == 0 and check.exit_code == 0
    assert Image.MAX_IMAGE_PIXELS is not None  # the limit is back for other code
