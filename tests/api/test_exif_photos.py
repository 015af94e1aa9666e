"""``Predictor.predict(path)`` reads a phone photo as ``tools/infer.py`` does: as its EXIF
orientation displays it, so the API and the command line see the same pixels."""

from __future__ import annotations

import numpy as np
from PIL import Image

from detseg.api.inputs import as_images
from detseg.image_inputs import read_images

# Stored 20 x 40 (H x W), left half white; orientation 6 displays it 40 x 20 with white on top.
STORED = np.zeros((20, 40, 3), dtype=np.uint8)
STORED[:, :20] = 255


def _photo(path):
    image = Image.fromarray(STORED)
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(path, exif=exif.tobytes(), quality=100)
    return path


def test_a_path_is_read_upright_as_infer_reads_it(tmp_path):
    path = _photo(tmp_path / "photo.jpg")
    (one,), single = as_images(path)
    ((_, cli_image),) = list(read_images([path], []))
    assert single and one.image.shape == (3, 40, 20)
    assert float(one.image[:, :18].min()) > 0.9 and float(one.image[:, 22:].max()) < 0.1
    assert np.array_equal(one.image.numpy(), cli_image.numpy())


def test_a_glob_pattern_reads_its_photos_upright(tmp_path):
    _photo(tmp_path / "a.jpg")
    _photo(tmp_path / "b.jpg")
    images, single = as_images(str(tmp_path / "*.jpg"))
    assert not single and [item.image.shape for item in images] == [(3, 40, 20)] * 2
