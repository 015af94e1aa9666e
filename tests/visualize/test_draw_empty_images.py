"""draw_detections on an image without pixels: nothing to draw, no OpenCV error."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.visualize import draw_detections


@pytest.mark.parametrize("shape", [(0, 0, 3), (0, 7, 3), (5, 0, 3)])
def test_an_image_without_pixels_is_returned_as_it_is(shape) -> None:
    image = np.zeros(shape, dtype=np.uint8)
    drawn = draw_detections(image, [[0.0, 0.0, 4.0, 4.0]], [1], [0.9], ["a"])
    assert drawn.shape == shape
