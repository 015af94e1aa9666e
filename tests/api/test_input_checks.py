"""What the Python API refuses, as the command line does: images without pixels, non-finite
float pixels, a score threshold outside [0, 1], ``max_frames`` below 1, an image given as the
checkpoint. Each is a ``ValueError`` naming the input, raised before any work."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import detseg
from detseg.api import Predictor, predict_video
from detseg.engine.checkpointing import CheckpointError

GOOD = np.zeros((8, 8, 3), np.uint8)


@pytest.fixture(scope="module")
def detector(detector_checkpoint) -> Predictor:
    return detseg.load(detector_checkpoint, device="cpu")


EMPTY = {
    "numpy 0x0": (np.zeros((0, 0, 3), np.uint8), "numpy image of shape (0, 0, 3) is empty (0x0"),
    "numpy float no column": (np.zeros((5, 0, 3), np.float32), "(5, 0, 3) is empty (0x5"),
    "tensor no row": (torch.zeros(3, 0, 10), "tensor of shape (3, 0, 10) is empty (10x0"),
    "batch": (torch.zeros(2, 3, 4, 0), "image 0 of the batch tensor: tensor of shape (3, 4, 0)"),
    "list item": ([GOOD, np.zeros((0, 4, 3), np.uint8)], "item 1 of the input list: numpy"),
}


@pytest.mark.parametrize("kind", sorted(EMPTY))
def test_an_image_without_pixels_is_named_with_its_size(detector, kind):
    x, expected = EMPTY[kind]
    with pytest.raises(ValueError, match=re.escape(expected)):
        detector.predict(x)


def test_an_empty_image_is_refused_by_a_segmenter_too(segmenter_checkpoint):
    segmenter = detseg.load(segmenter_checkpoint, "cpu", overrides=["eval.tta=none"])
    with pytest.raises(ValueError, match=re.escape("(0, 0, 3) is empty")):
        segmenter.predict(np.zeros((0, 0, 3), np.uint8))


NON_FINITE = {
    "nan tensor": torch.full((3, 8, 8), float("nan")),
    "one inf pixel": np.where(np.arange(192).reshape(8, 8, 3) == 5, np.inf, 0.5),
    "nan in a batch": torch.stack([torch.zeros(3, 8, 8), torch.full((3, 8, 8), float("nan"))]),
    "-inf float32 array": np.full((8, 8, 3), -np.inf, np.float32),
}


@pytest.mark.parametrize("kind", sorted(NON_FINITE))
def test_non_finite_float_pixels_are_refused(detector, kind):
    with pytest.raises(ValueError, match="pixel\\(s\\) with a non-finite value") as info:
        detector.predict(NON_FINITE[kind])
    assert "NaN or inf" in str(info.value)
    if kind == "one inf pixel":
        assert "(8, 8, 3) has 1 pixel(s) with a non-finite" in str(info.value)


@pytest.mark.parametrize("shape", [(6, 8), (6, 8, 1), (6, 8, 3)])
def test_non_finite_pixels_are_counted_as_pixels(detector, shape):
    """A NaN pixel counts once, however many channels it has (a gray image is made RGB before
    the check: it counted 3 times)."""
    image = np.full(shape, 0.5, np.float32)
    image[0, :5] = np.nan
    with pytest.raises(ValueError, match=r"has 5 pixel\(s\) with a non-finite value"):
        detector.predict(image)


@pytest.mark.parametrize("score_thr", [2, -1, 1.0001, float("nan")])
def test_a_score_threshold_outside_0_1_is_refused(detector, video, score_thr):
    message = re.escape(f"score_thr must lie in [0, 1], got {score_thr}")
    with pytest.raises(ValueError, match=message):
        detector.predict(GOOD, score_thr=score_thr)
    with pytest.raises(ValueError, match=message):
        detector.predict_images([], score_thr=score_thr)  # at the call, before any image
    with pytest.raises(ValueError, match=message):
        detector.stream(video, score_thr=score_thr)


def test_the_bounds_of_the_score_threshold_are_accepted(detector):
    assert len(detector.predict(GOOD, score_thr=1.0)) == 0
    detector.predict(GOOD, score_thr=0)


@pytest.mark.parametrize("max_frames", [0, -3])
def test_max_frames_below_1_is_refused(detector, video, tmp_path, max_frames):
    with pytest.raises(ValueError, match=f"max_frames must be >= 1, got {max_frames}"):
        detector.stream(video, max_frames=max_frames)
    with pytest.raises(ValueError, match=f"max_frames must be >= 1, got {max_frames}"):
        predict_video(detector, video, tmp_path / "out", max_frames=max_frames)
    assert not (tmp_path / "out").exists()  # refused before any file was written
    assert len(list(detector.stream(video, max_frames=1))) == 1


def test_an_image_or_video_given_as_the_checkpoint_is_named(image_file, video):
    with pytest.raises(CheckpointError, match=re.escape(f"{image_file} is an image, not a")):
        detseg.load(image_file)
    with pytest.raises(CheckpointError, match=re.escape(f"{video} is a video, not a checkpoint")):
        detseg.load(video)
