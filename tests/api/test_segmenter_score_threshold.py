"""A segmenter has no score threshold: ``score_thr`` given to its ``predict``, ``predict_images``
or ``stream`` is one ValueError saying so (it would otherwise be silently ignored)."""

from __future__ import annotations

import numpy as np
import pytest

import detseg
from detseg.segmentation.inference import SegmentationInference

IMAGE = np.full((24, 32, 3), 120, np.uint8)


@pytest.fixture(scope="module")
def segmenter(segmenter_checkpoint):
    predictor = detseg.load(segmenter_checkpoint, "cpu")
    predictor.inference = SegmentationInference()  # one plain pass: fast
    return predictor


def test_score_thr_is_refused_by_every_segmenter_call(segmenter, video):
    message = r"^score_thr=0\.5 is for detectors; this unet segmenter keeps every pixel's class"
    with pytest.raises(ValueError, match=message):
        segmenter.predict(IMAGE, score_thr=0.5)
    with pytest.raises(ValueError, match=message):
        segmenter.predict_images([], score_thr=0.5)
    with pytest.raises(ValueError, match=message):
        segmenter.stream(video, score_thr=0.5)


def test_a_segmenter_without_score_thr_and_a_detector_with_it_still_predict(
    segmenter, detector_checkpoint
):
    assert segmenter.predict(IMAGE).mask.shape == (24, 32)
    detector = detseg.load(detector_checkpoint, "cpu")
    assert len(detector.predict(IMAGE, score_thr=1.0)) == 0


@pytest.mark.parametrize(("score_thr", "shown"), [(50, "50"), (-1.0, "-1"), ("0.5", "'0.5'")])
def test_a_segmenter_refuses_any_score_thr_as_detectors_only(segmenter, score_thr, shown):
    """Not its range first: a value fixed into ``[0, 1]`` would then be refused anyway."""
    message = rf"^score_thr={shown} is for detectors; this unet segmenter"
    with pytest.raises(ValueError, match=message):
        segmenter.predict(IMAGE, score_thr=score_thr)
