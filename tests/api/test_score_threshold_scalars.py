"""A score threshold held the way a notebook holds it, a 0-d tensor (``torch.tensor(0.5)``,
``scores.max()``), a 0-d numpy array or a numpy scalar (``np.float32(0.5)``), is the number it
holds for ``predict``, ``stream``, ``predict_video`` and ``predict_checkpoint``; a tensor or
array of more numbers (also one number in a list) is still refused with one line naming the
argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import detseg
from detseg.api.prediction_checks import check_score_thr
from detseg.api.video_outputs import predict_video
from detseg.predict_images import predict_checkpoint

SCALARS = [
    torch.tensor(0.05),
    torch.tensor(0.05, dtype=torch.float64),
    np.array(0.05),
    np.float32(0.05),
]


@pytest.mark.parametrize("threshold", SCALARS, ids=["tensor", "tensor64", "array", "float32"])
def test_a_zero_d_number_is_its_number(detector_checkpoint, image_file, threshold):
    predictor = detseg.load(detector_checkpoint, "cpu")
    expected = predictor.predict(str(image_file), score_thr=0.05)
    result = predictor.predict(str(image_file), score_thr=threshold)
    assert torch.equal(result.scores, expected.scores)
    assert torch.equal(result.boxes, expected.boxes)
    streamed = next(iter(predictor.stream(str(image_file), score_thr=threshold)))
    assert torch.equal(streamed.scores, expected.scores)
    assert (
        predictor.model.score_thresh == detseg.load(detector_checkpoint, "cpu").model.score_thresh
    )


def test_the_checked_threshold_is_a_python_float():
    for threshold in SCALARS:
        value = check_score_thr(threshold)
        assert type(value) is float and value == pytest.approx(0.05)
    assert check_score_thr(None) is None
    assert check_score_thr(torch.tensor(1)) == 1.0


@pytest.mark.parametrize(
    "threshold",
    [torch.tensor([0.5]), torch.tensor([0.5, 0.6]), np.array([0.5]), torch.tensor(True)],
)
def test_more_than_a_number_is_refused_in_one_line(detector_checkpoint, image_file, threshold):
    predictor = detseg.load(detector_checkpoint, "cpu")
    with pytest.raises(ValueError) as err:
        predictor.predict(str(image_file), score_thr=threshold)
    message = str(err.value)
    assert message.startswith("score_thr must be a number in [0, 1] or None, got ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("threshold", "shown"),
    [
        (torch.tensor([0.5]), "tensor([0.5000]) (Tensor)"),
        (np.array([0.5, 0.6]), "array([0.5, 0.6]) (ndarray)"),
    ],
    ids=["tensor", "array"],
)
def test_an_array_of_numbers_is_told_to_give_one(detector_checkpoint, image_file, threshold, shown):
    """The words of ``--score-thr`` and the other library thresholds, ``or None`` added."""
    predictor = detseg.load(detector_checkpoint, "cpu")
    with pytest.raises(ValueError) as err:
        predictor.predict(str(image_file), score_thr=threshold)
    assert str(err.value) == (
        f"score_thr must be a number in [0, 1] or None, got {shown}; give one number (.item() "
        "of a one-number array or tensor)"
    )


def test_out_of_range_in_a_tensor_is_refused_as_a_number():
    with pytest.raises(ValueError, match=r"^score_thr must lie in \[0, 1\], got 1.5$"):
        check_score_thr(torch.tensor(1.5))


def test_the_video_and_checkpoint_runs_take_them(detector_checkpoint, video, image_file, tmp_path):
    predictor = detseg.load(detector_checkpoint, "cpu")
    run = predict_video(predictor, video, tmp_path / "video", torch.tensor(0.05), max_frames=1)
    assert run.frames == 1
    done = predict_checkpoint(
        detector_checkpoint,
        [str(image_file)],
        tmp_path / "images",
        device="cpu",
        score_threshold=np.float32(0.05),
    )
    assert done.images == 1 and done.score_threshold == pytest.approx(0.05)
