"""The CRF compares colours of float images in [0, 1]: a uint8 image is refused, not misread."""

from __future__ import annotations

import pytest
import torch

from detseg.segmentation import LocalCRF


def test_a_uint8_image_is_refused_with_what_to_do() -> None:
    probabilities = torch.full((1, 2, 6, 7), 0.5)
    image = torch.zeros((1, 3, 6, 7), dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"float in \[0, 1\], got torch.uint8; divide"):
        LocalCRF(iterations=1, radius=1)(probabilities, image)
    refined = LocalCRF(iterations=1, radius=1)(probabilities, image.float() / 255)
    assert torch.allclose(refined.sum(dim=1), torch.ones(1, 6, 7))
