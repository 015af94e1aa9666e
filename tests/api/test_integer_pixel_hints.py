"""Integer pixels of a type the API does not take (``int64`` after numpy arithmetic, ``int32`` of
a 16-bit PNG read by PIL) are refused with the cast that keeps their values; a boolean mask is
told how to become an image."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.api.array_images import from_array, from_tensor

MUST = "pixels must be uint8 (0..255), uint16 (0..65535) or float (0..1)"


def _message(image) -> str:
    convert = from_tensor if isinstance(image, torch.Tensor) else from_array
    with pytest.raises(ValueError) as caught:
        convert(image, False, "")
    return str(caught.value).split("; accepted:")[0]


@pytest.mark.parametrize(
    ("values", "dtype", "hint"),
    [
        ((0, 255), np.int64, "(its values are 0..255: image.astype(np.uint8))"),
        (
            (3, 4000),
            np.int32,
            "(its values are 3..4000: image.astype(np.uint16) if they are 16-bit pixels, read "
            "as 0..65535; else floats in 0..1, e.g. image / 4000)",
        ),
        (
            (-1, 9),
            np.int16,
            "(its values are -1..9, outside 0..65535: scale them to 0..1 as floats)",
        ),
    ],
)
def test_a_numpy_integer_image_is_told_the_cast_its_values_allow(values, dtype, hint):
    low, high = values
    image = np.full((4, 4, 3), low, dtype)
    image[1, 1] = high
    assert _message(image) == f"image of shape (4, 4, 3) has dtype {np.dtype(dtype)}; {MUST} {hint}"


def test_a_tensor_gets_the_torch_cast():
    image = torch.full((3, 4, 4), 7, dtype=torch.int64)
    assert _message(image).endswith("(its values are 7..7: image.to(torch.uint8))")


@pytest.mark.parametrize(
    ("mask", "cast"),
    [
        (np.zeros((4, 4, 3), bool), "image.astype(np.uint8) * 255"),
        (torch.zeros(3, 4, 4, dtype=torch.bool), "image.to(torch.uint8) * 255"),
    ],
)
def test_a_boolean_mask_is_told_how_to_show_it(mask, cast):
    assert _message(mask).endswith(
        f"{MUST} (a boolean mask, not an image: {cast} shows it in black and white)"
    )


def test_complex_pixels_get_no_cast():
    assert _message(np.zeros((4, 4, 3), np.complex64)).endswith(MUST)


def test_a_tensor_type_without_min_still_gets_its_range():
    image = torch.full((3, 4, 4), 70000, dtype=torch.uint32)
    assert _message(image).endswith(
        "(its values are 70000..70000, outside 0..65535: scale them to 0..1 as floats)"
    )


@pytest.mark.parametrize(
    "image",
    [torch.full((3, 4, 4), 0.5).to(torch.float8_e4m3fn), np.full((4, 4, 3), 0.5, np.longdouble)],
    ids=["float8 tensor", "long double array"],
)
def test_other_float_types_are_read(image):
    convert = from_tensor if isinstance(image, torch.Tensor) else from_array
    assert convert(image, False, "").dtype == torch.float32
