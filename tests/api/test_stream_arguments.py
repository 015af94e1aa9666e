"""``Predictor.stream`` takes the keyword arguments of ``predict`` that mean something for video
frames (``batch_size``, ``mask_probabilities``), and ``bgr``, which does not (each frame is
decoded to RGB), is one error saying why instead of a ``TypeError``."""

from __future__ import annotations

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
    "source", [torch.zeros(3, 8, 8), [0], 1.5], ids=["tensor", "list", "float"]
)
def test_a_source_that_is_no_video_is_one_error(detector, source):
    kind = type(source).__name__
    with pytest.raises(ValueError, match=rf"^not a video source: a {kind}; give a video file, "):
        detector.stream(source)
