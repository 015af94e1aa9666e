"""``Predictor.stream`` takes the keyword arguments of ``predict`` that mean something for video
frames (``batch_size``, ``mask_probabilities``), and ``bgr``, which does not (each frame is
decoded to RGB), is one error saying why instead of a ``TypeError``; a source that is neither a
video nor images is one error naming it."""

from __future__ import annotations

import re

import pytest
import torch

import detseg


@pytest.fixture(scope="module")
def detector(detector_checkpoint):
    return detseg.load(detector_checkpoint, device="cpu")


def test_bgr_false_is_taken_and_bgr_true_says_why_not(detector, video):
    assert len(list(detector.stream(video, bgr=False, max_frames=1))) == 1
    with pytest.raises(ValueError, match=r"^bgr=True is for numpy arrays and tensors given to "):
        detector.stream(video, bgr=True)


def test_frames_in_batches_give_the_results_of_one_at_a_time(detector, video):
    one = list(detector.stream(video, max_frames=3))
    batched = list(detector.stream(video, max_frames=3, batch_size=2))
    assert [r.frame for r in batched] == [0, 1, 2]
    assert [r.time for r in batched] == [r.time for r in one]
    for a, b in zip(one, batched, strict=True):
        assert torch.allclose(a.boxes, b.boxes, atol=1e-3)
    with pytest.raises(ValueError, match=r"batch_size must be >= 1, got 0"):
        detector.stream(video, batch_size=0)


def test_mask_probabilities_can_be_kept(mask_checkpoint, video):
    predictor = detseg.load(mask_checkpoint, device="cpu")
    plain, kept = (
        next(iter(predictor.stream(video, max_frames=1, mask_probabilities=keep)))
        for keep in (False, True)
    )
    assert plain.masks is not None and plain.mask_probabilities is None
    assert kept.mask_probabilities is not None
    assert kept.mask_probabilities.shape == kept.masks.shape


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ([0], "item 0 of the input list: 0 is a camera index or a stream URL among other"),
        (1.5, "cannot predict on a builtins.float; accepted: an image path"),
        (True, "not a video source: True; give a file, a camera or a URL"),
    ],
    ids=["camera in a list", "float", "bool"],
)
def test_a_source_that_is_neither_video_nor_images_is_one_error(detector, source, expected):
    with pytest.raises(ValueError, match=re.escape(expected)):
        detector.stream(source)


def test_a_tensor_is_streamed_as_an_image(detector):
    [result] = detector.stream(torch.zeros(3, 8, 8))
    assert result.image.shape == (8, 8, 3) and result.frame is None and result.path is None
