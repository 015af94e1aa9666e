"""The closing summary of ``tools/infer.py`` counts the inputs that could not be read and says
that they make the exit code 2; a run where every input was read says nothing of failures."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from random_checkpoints import DETECTOR, write_checkpoint

from detseg.api.video_outputs import VideoRun
from detseg.predict_images import PredictionRun


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    overrides = [*DETECTOR, "model.roi_heads={detections_per_img: 5}"]
    return write_checkpoint(
        tmp_path_factory.mktemp("failed_summary") / "best.pt", "configs/demo.yaml", overrides
    )


def test_the_summary_counts_failed_inputs():
    run = PredictionRun("detection", 2, Path("o"), detections=0, score_threshold=0.5)
    assert run.summary(exit_code=2) == "2 images, 0 detections (score >= 0.5) in o/"
    run.failed = ["gone.png"]
    assert run.summary() == (
        "2 images, 0 detections (score >= 0.5) in o/; 1 input failed (see the errors above)"
    )
    run.failed.append("bad.jpg")
    assert run.summary(exit_code=2).endswith(
        "in o/; 2 inputs failed (see the errors above), hence exit code 2"
    )


def test_a_video_only_run_counts_them_on_its_last_line():
    video = VideoRun("clip.mp4", 3, 0, Path("o/clip.mp4"), Path("o/clip.jsonl"), "detection")
    run = PredictionRun("detection", 0, Path("o"), failed=["97"], videos=[video])
    run.wrote_images = False
    assert run.summary(exit_code=2) == (
        "clip.mp4: 3 frames, 0 detections -> o/clip.mp4, o/clip.jsonl; 1 input failed (see the "
        "errors above), hence exit code 2"
    )


def test_infer_counts_an_unreadable_image_among_good_ones(checkpoint, tmp_path, run_tool):
    names = []
    for i in range(2):
        names.append(tmp_path / f"good{i}.png")
        assert cv2.imwrite(str(names[-1]), np.full((48, 64, 3), 60 + 80 * i, np.uint8))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really an image")
    out = tmp_path / "out"
    result = run_tool("infer.py", checkpoint, names[0], broken, names[1], "--out", out)
    assert result.returncode == 2, result.stderr
    [summary] = result.stdout.splitlines()
    assert summary.startswith("2 images, "), summary
    assert summary.endswith("; 1 input failed (see the errors above), hence exit code 2")
    every = run_tool("infer.py", checkpoint, *names, "--out", tmp_path / "every")
    assert every.returncode == 0, every.stderr
    assert "failed" not in every.stdout and every.stdout.startswith("2 images, ")
