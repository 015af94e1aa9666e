"""A score threshold that is no number (``"0.5"`` read from a text file, a bool) is one
ValueError naming the argument, its value and type, from ``predict_video`` and
``predict_checkpoint`` (``tools/infer.py``'s work) as from ``Predictor.predict``, before any
file is written."""

from __future__ import annotations

import pytest

import detseg
from detseg.api.video_outputs import predict_video
from detseg.predict_images import predict_checkpoint


@pytest.mark.parametrize("threshold", ["0.5", True, [0.5]])
def test_predict_video_names_a_threshold_that_is_no_number(
    detector_checkpoint, video, tmp_path, threshold
):
    predictor = detseg.load(detector_checkpoint, "cpu")
    with pytest.raises(ValueError, match=r"score_thr must be a number in \[0, 1\], got "):
        predict_video(predictor, video, tmp_path / "out", score_thr=threshold, max_frames=1)
    assert not (tmp_path / "out").exists()


def test_predict_checkpoint_names_a_threshold_that_is_no_number(
    detector_checkpoint, video, tmp_path
):
    with pytest.raises(ValueError, match=r"score_threshold must be a number .*got '0.5' \(str\)"):
        predict_checkpoint(
            detector_checkpoint, [str(video)], tmp_path / "out", score_threshold="0.5"
        )
    assert not (tmp_path / "out").exists()
