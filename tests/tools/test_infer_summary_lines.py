"""The summary ``tools/infer.py`` prints: counts of 1 are singular ("1 image, 1 detection",
"1 frame"), every detector's video line counts its detections (", 0 detections" too, as the
image line does), and ``--score-thr -0`` shows ``score >= 0``, not ``-0.0``."""

from __future__ import annotations

from pathlib import Path

from detseg.api.video_outputs import VideoRun
from detseg.predict_images import PredictionRun


def _video(frames: int, detections: int, task: str = "detection") -> VideoRun:
    return VideoRun("clip.mp4", frames, detections, Path("o/clip.mp4"), Path("o/clip.jsonl"), task)


def test_counts_of_one_are_singular():
    run = PredictionRun("detection", 1, Path("o"), detections=1, score_threshold=0.5)
    assert run.summary() == "1 image, 1 detection (score >= 0.5) in o/"
    run = PredictionRun("segmentation", 1, Path("o"))
    assert run.summary() == "1 image segmented: overlays in o/, label maps in o/labels/"
    assert _video(1, 1).summary() == "clip.mp4: 1 frame, 1 detection -> o/clip.mp4, o/clip.jsonl"


def test_a_video_without_detections_says_so():
    assert _video(3, 0).summary() == "clip.mp4: 3 frames, 0 detections -> o/clip.mp4, o/clip.jsonl"
    assert (
        _video(3, 0, "segmentation").summary() == "clip.mp4: 3 frames -> o/clip.mp4, o/clip.jsonl"
    )


def test_a_negative_zero_threshold_shows_as_zero():
    for threshold, shown in ((-0.0, "0"), (0.0, "0"), (1.0, "1"), (0.25, "0.25")):
        run = PredictionRun("detection", 2, Path("o"), detections=0, score_threshold=threshold)
        assert run.summary() == f"2 images, 0 detections (score >= {shown}) in o/"
