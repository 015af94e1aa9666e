"""PIL images of 16-bit and float grayscale modes are scaled, not clipped by ``convert("RGB")``:
a 16-bit PNG given as ``Image.open(path)`` is the same image as the path itself."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from detseg.api.inputs import as_images
from detseg.data.image_io import read_image

GRAY16 = (np.arange(24 * 32).reshape(24, 32) * 80).astype(np.uint16)  # 0..61360


def _one(x) -> torch.Tensor:
    images, single = as_images(x)
    assert single and len(images) == 1
    return images[0].image


def test_a_16_bit_png_opened_with_pil_equals_the_file_read_by_path(tmp_path):
    path = tmp_path / "gray16.png"
    assert cv2.imwrite(str(path), GRAY16)
    with Image.open(path) as opened:
        assert opened.mode.startswith("I")  # I;16 (or I in older Pillow)
        from_pil = _one(opened)
    assert from_pil.shape == (3, 24, 32)
    torch.testing.assert_close(from_pil, read_image(path), atol=1e-6, rtol=0)
    assert float(from_pil.mean()) == pytest.approx(GRAY16.mean() / 65535, abs=1e-6)


def test_mode_i_and_mode_f_are_scaled_and_grey():
    from_i = _one(Image.fromarray(GRAY16.astype(np.int32)))  # mode I
    torch.testing.assert_close(from_i[0], torch.from_numpy(GRAY16 / 65535.0).float())
    assert torch.equal(from_i[0], from_i[2])
    unit = np.linspace(0, 1, 24 * 32, dtype=np.float32).reshape(24, 32)
    from_f = _one(Image.fromarray(unit))  # mode F
    torch.testing.assert_close(from_f[1], torch.from_numpy(unit))


def test_mode_i_of_8_bit_values_stays_8_bit():
    values = np.arange(24 * 32).reshape(24, 32) % 256
    from_i = _one(Image.fromarray(values.astype(np.int32)))
    torch.testing.assert_close(from_i[1], torch.from_numpy(values / 255.0).float())


def test_out_of_range_integer_and_float_pil_images_are_refused():
    with pytest.raises(ValueError, match=re.escape("mode I has values in 70000..70000;")):
        as_images(Image.fromarray(np.full((4, 4), 70000, np.int32)))
    with pytest.raises(ValueError, match=r"PIL image of mode F \(4x4\) has values in 255\.\.255"):
        as_images(Image.fromarray(np.full((4, 4), 255, np.float32)))


def test_a_mode_f_image_of_0_to_255_values_is_told_the_pil_fixes():
    """Not the array's advice ("pass uint8"): a PIL image is converted, or read as an array."""
    image = Image.fromarray(np.full((4, 6), 200, np.float32))
    with pytest.raises(ValueError) as info:
        as_images([image])
    assert str(info.value) == (
        "item 0 of the input list: PIL image of mode F (6x4) has values in 200..200; float "
        "pixels must lie in [0, 1] (0..255 values: pass image.convert('RGB') or "
        "np.asarray(image) / 255)"
    )
    assert "uint8" not in str(info.value)
    # both fixes it names are read
    assert _one(image.convert("RGB")).shape == (3, 4, 6)
    assert _one(np.asarray(image) / 255).shape == (3, 4, 6)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (-0.5, "has values in -0.5..-0.5; float pixels must lie in [0, 1] (scale them to"),
        (np.nan, "has 24 pixel(s) with a non-finite value (NaN or inf); float pixels must lie in"),
        # [0, 1] a little past its ends: clipped, not divided by 255 (which would turn it black)
        (1.5, "has values in 1.5..1.5; float pixels must lie in [0, 1] (clip them: pass "),
    ],
)
def test_other_mode_f_pixels_outside_0_to_1_name_the_pil_image(value, said):
    with pytest.raises(ValueError) as info:
        as_images(Image.fromarray(np.full((4, 6), value, np.float32)))
    assert str(info.value).startswith(f"PIL image of mode F (6x4) {said}")


@pytest.mark.parametrize("mode", ["F", "RGB"])
def test_an_empty_pil_image_is_named_as_one(mode):
    with pytest.raises(ValueError) as info:
        as_images(Image.new(mode, (4, 0)))
    assert str(info.value) == (
        f"PIL image of mode {mode} is empty (4x0 pixels); give an image of at least 1x1 pixels"
    )
