"""``predict`` on a generator that yields one buffer filled anew for each frame (as
``cv2.VideoCapture.read(frame)`` or a frame grabber does) predicts on each frame as it was
when yielded, not on the last frame for every item; ``stream`` does the same."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import detseg


@pytest.fixture(scope="module")
def detector(detector_checkpoint):
    return detseg.load(detector_checkpoint, device="cpu")


def _frames(buffer, values):
    """Each of ``values`` written into the one ``buffer``, which is yielded each time."""
    for value in values:
        buffer[...] = value
        yield buffer


@pytest.mark.parametrize(
    "buffer",
    [
        np.zeros((16, 24, 3), np.uint8),
        np.zeros((16, 24), np.uint8),
        torch.zeros(3, 16, 24, dtype=torch.uint8),
    ],
    ids=["array", "gray array", "tensor"],
)
def test_each_item_of_a_generator_is_taken_as_it_was_yielded(detector, buffer):
    values = (10, 20, 30)
    results = detector.predict(_frames(buffer, values))
    assert [int(r.image[0, 0, 0]) for r in results] == list(values)
    # the same frames as separate arrays, in one call as well: batched alike, so equal bit for bit
    fresh = detector.predict([np.full((16, 24, 3), v, np.uint8) for v in values])
    for got, want in zip(results, fresh, strict=True):
        assert torch.equal(got.boxes, want.boxes) and torch.equal(got.scores, want.scores)
    streamed = detector.stream(_frames(buffer, values), batch_size=3)
    assert [int(r.image[0, 0, 0]) for r in streamed] == list(values)


def test_a_float_buffer_keeps_its_values(detector):
    buffer = np.zeros((8, 8, 3), np.float32)
    results = detector.predict(_frames(buffer, (0.2, 0.6)))
    assert [int(r.image[0, 0, 0]) for r in results] == [51, 153]
