"""Every kind of image file reads as the same RGB pixels by path (OpenCV, used for training and
by the predictor) as Pillow's ``convert("RGB")`` gives, which is what the predictor does with a
PIL image; a file that is not a whole image is one ``ImageReadError`` line naming it."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from detseg.api.inputs import as_images
from detseg.data.image_io import ImageReadError, read_image

RGB = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)
RGB[0, 0] = (255, 0, 0)  # pure red: a BGR slip shows as blue


def _rgba() -> Image.Image:
    alpha = np.random.default_rng(1).integers(0, 256, (6, 8), dtype=np.uint8)
    return Image.fromarray(np.dstack([RGB, alpha]))


KINDS = {
    "rgb.png": lambda: Image.fromarray(RGB),
    "upper case.PNG": lambda: Image.fromarray(RGB),
    "photo été.JPG": lambda: Image.fromarray(RGB),
    "gray.png": lambda: Image.fromarray(RGB[..., 0]),
    "gray_alpha.png": lambda: _rgba().convert("LA"),
    "rgba.png": _rgba,
    "palette.png": lambda: Image.fromarray(RGB).quantize(16),
    "cmyk.jpg": lambda: Image.fromarray(RGB).convert("CMYK"),
    "one_pixel.png": lambda: Image.fromarray(RGB[:1, :1]),
    "rgb.webp": lambda: Image.fromarray(RGB),
    "rgb.tif": lambda: Image.fromarray(RGB),
    "rgb.bmp": lambda: Image.fromarray(RGB),
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_file_reads_as_pillow_sees_it(tmp_path, name):
    path = tmp_path / name
    options = {"quality": 100} if name.lower().endswith(".jpg") else {}
    options.update({"lossless": True} if name.endswith(".webp") else {})
    KINDS[name]().save(path, **options)
    image = read_image(path)
    with Image.open(path) as opened:
        expected = torch.from_numpy(np.asarray(opened.convert("RGB"), dtype=np.float32) / 255)
        from_pil = as_images(opened)[0][0].image
    # 1/255: libjpeg versions may round a CMYK conversion differently
    torch.testing.assert_close(image, expected.permute(2, 0, 1), atol=1.01 / 255, rtol=0)
    torch.testing.assert_close(from_pil, image, atol=1.01 / 255, rtol=0)
    torch.testing.assert_close(as_images(path)[0][0].image, image)
    if name in ("rgb.png", "upper case.PNG"):
        assert image[:, 0, 0].tolist() == [1.0, 0.0, 0.0]


def _jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.tile(RGB, (8, 8, 1))).save(buffer, "JPEG")
    return buffer.getvalue()


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.tile(RGB, (8, 8, 1))).save(buffer, "PNG")
    return buffer.getvalue()


BROKEN = {
    "empty.jpg": lambda: b"",
    "notes.png": lambda: b"not an image at all\n",
    "half.jpg": lambda: _jpeg_bytes()[: len(_jpeg_bytes()) // 2],
    "half.png": lambda: _png_bytes()[: len(_png_bytes()) // 2],
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_is_one_line_naming_it(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BROKEN[name]())
    for read in (read_image, as_images):
        with pytest.raises(ImageReadError) as error:
            read(path)
        assert error.value.path == path
        assert str(path) in str(error.value) and "\n" not in str(error.value)
