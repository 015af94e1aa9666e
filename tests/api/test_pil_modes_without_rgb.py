"""A PIL image whose mode Pillow cannot convert to RGB (premultiplied ``La``) is one
``ValueError`` naming the item and the mode, with the conversion to make."""

from __future__ import annotations

import pytest
from PIL import Image

from detseg.api.inputs import as_images


def test_a_mode_without_rgb_conversion_is_named():
    image = Image.new("La", (4, 3))
    with pytest.raises(
        ValueError,
        match=r"item 1 of the input list: PIL image of mode La: .*"
        r"image\.convert\('LA'\)",
    ):
        as_images([Image.new("RGB", (4, 3)), image])
    images, _ = as_images(image.convert("LA"))  # the conversion the message gives works
    assert images[0].image.shape == (3, 3, 4)
