"""draw_detections with the masks Mask R-CNN's ``predict`` gives (``Float[N, 1, H, W]``
probabilities, possibly bfloat16 under autocast): a pixel is the object above the mask
threshold (0.5), not wherever the probability is non-zero."""

from __future__ import annotations

import numpy as np
import torch

from detseg.visualize import draw_detections

BOX = [[4.0, 4.0, 36.0, 36.0]]


def _soft_mask(dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``Float[1, 1, 40, 40]``: 0.2 over the box (the soft edge of a pasted mask), 0.9 inside
    rows/cols 15..24 (the object)."""
    mask = torch.zeros(1, 1, 40, 40)
    mask[0, 0, 5:35, 5:35] = 0.2
    mask[0, 0, 15:25, 15:25] = 0.9
    return mask.to(dtype)


def _draw(masks, **kwargs) -> np.ndarray:
    image = np.zeros((40, 40, 3), np.uint8)
    return draw_detections(image, BOX, [1], None, ["a"], masks=masks, mask_alpha=1.0, **kwargs)


def test_probabilities_are_thresholded_at_one_half() -> None:
    drawn = _draw(_soft_mask())
    assert drawn[20, 20].any()  # the object is coloured
    assert not drawn[30, 30].any()  # the low-probability rim is not
    assert np.array_equal(drawn, _draw(_soft_mask()[:, 0] > 0.5))


def test_the_threshold_can_be_set() -> None:
    assert _draw(_soft_mask(), mask_threshold=0.1)[30, 30].any()


def test_bfloat16_outputs_are_drawn() -> None:
    image = np.zeros((40, 40, 3), np.uint8)
    drawn = draw_detections(
        image,
        torch.tensor(BOX, dtype=torch.bfloat16),
        torch.tensor([1]),
        torch.tensor([0.9], dtype=torch.bfloat16),
        ["a"],
        masks=_soft_mask(torch.bfloat16),
        mask_alpha=1.0,
    )
    assert drawn[20, 20].any() and not drawn[30, 30].any()
