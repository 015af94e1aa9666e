"""EXIF orientation: every reader takes a rotated phone photo as stored, and says so.

detseg does not apply EXIF orientation (see :mod:`detseg.data.image_io`). The training reader
and the predictor (path or PIL image) must therefore agree on the stored pixel grid; the first
such JPEG a process reads is named in a warning, and a label map drawn on the displayed
(rotated) image fails with a message that points at the orientation.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from PIL import Image

from detseg.api.inputs import as_images
from detseg.data import image_io
from detseg.data.image_io import read_image
from detseg.data.masks import check_label_map

# Stored 20 x 40 (H x W): left half white. Orientation 6 shows it 40 x 20, rotated clockwise.
STORED = np.zeros((20, 40, 3), dtype=np.uint8)
STORED[:, :20] = 255


def _photo(path, orientation: int = 6):
    image = Image.fromarray(STORED)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(path, exif=exif.tobytes(), quality=100)
    return path


@pytest.fixture(autouse=True)
def _fresh_report(monkeypatch):
    """Each test starts as a new process would: no orientation reported yet."""
    monkeypatch.setattr(image_io, "_orientation_reported", False, raising=False)


def test_a_rotated_jpeg_is_read_as_stored_by_training_and_the_predictor(tmp_path):
    path = _photo(tmp_path / "phone photo é.JPG")
    stored = read_image(path)
    assert stored.shape == (3, 20, 40)
    assert float(stored[:, :, :18].min()) > 0.9 and float(stored[:, :, 22:].max()) < 0.1
    by_path = as_images(path)[0][0].image
    with Image.open(path) as opened:
        by_pil = as_images(opened)[0][0].image
    assert torch.equal(by_path, stored)
    torch.testing.assert_close(by_pil, stored, atol=1 / 255, rtol=0)


def test_the_first_rotated_jpeg_is_named_in_one_warning(tmp_path, caplog):
    first, second = _photo(tmp_path / "a.jpg", 6), _photo(tmp_path / "b.jpg", 8)
    with caplog.at_level(logging.WARNING, logger="detseg.data.image_io"):
        read_image(first)
        read_image(second)
        read_image(first)
    messages = [r.getMessage() for r in caplog.records if r.name == "detseg.data.image_io"]
    assert len(messages) == 1
    assert str(first) in messages[0] and "EXIF orientation 6" in messages[0]
    assert "exif_transpose" in messages[0]


def test_upright_and_untagged_images_give_no_warning(tmp_path, caplog):
    upright = _photo(tmp_path / "upright.jpg", 1)
    Image.fromarray(STORED).save(tmp_path / "plain.jpg")
    Image.fromarray(STORED).save(tmp_path / "plain.png")
    with caplog.at_level(logging.WARNING, logger="detseg.data.image_io"):
        for path in (upright, tmp_path / "plain.jpg", tmp_path / "plain.png"):
            assert read_image(path).shape == (3, 20, 40)
    assert not [r for r in caplog.records if r.name == "detseg.data.image_io"]


def test_exif_orientation_reads_the_tag_of_jpeg_bytes_only(tmp_path):
    for orientation in (1, 3, 6, 8):
        data = _photo(tmp_path / f"o{orientation}.jpg", orientation).read_bytes()
        assert image_io.exif_orientation(data) == orientation
    assert image_io.exif_orientation(b"\xff\xd8Exif\x00\x00 not a jpeg") == 1
    assert image_io.exif_orientation(b"") == 1


def test_a_label_map_of_the_displayed_photo_is_refused_with_an_orientation_hint():
    displayed = np.zeros((40, 20), dtype=np.uint8)  # drawn on the rotated view
    with pytest.raises(ValueError, match=r"swapped.*EXIF orientation.*exif_transpose"):
        check_label_map(displayed, (20, 40), 1, "masks/photo.png")
    with pytest.raises(ValueError) as other:  # other mismatches keep the plain message
        check_label_map(np.zeros((10, 10), dtype=np.uint8), (20, 40), 1, "masks/photo.png")
    assert "swapped" not in str(other.value) and "masks/photo.png" in str(other.value)
