"""infer.py flags of the other task are refused, naming the flag and the checkpoint, before
anything is written: ``--tta`` / ``--plain`` for a detector (they would be ignored), and
``--score-thr`` for a segmenter (it keeps every pixel's class)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from random_checkpoints import DETECTOR, write_checkpoint

from detseg.predict_images import predict_checkpoint

SEGMENTER = ["model.base_channels=4", "model.depth=2", "device=cpu"]


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("infer_task_flags")
    return {
        "detector": write_checkpoint(folder / "det.pt", "configs/demo.yaml", DETECTOR),
        "segmenter": write_checkpoint(
            folder / "seg.pt", "configs/segmentation/unet_shapes.yaml", SEGMENTER
        ),
    }


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("infer_task_image") / "a.png"
    assert cv2.imwrite(str(path), np.full((32, 32, 3), 90, np.uint8))
    return path


@pytest.mark.parametrize(
    ("task", "settings", "message"),
    [
        ("detector", {"tta": "hflip"}, "--tta hflip is for segmentation"),
        ("detector", {"plain": True}, "--plain is for segmentation"),
        ("segmenter", {"score_threshold": 0.5}, "--score-thr 0.5 is for detectors"),
    ],
)
def test_a_setting_of_the_other_task_is_refused_before_writing(
    checkpoints, image, tmp_path, task, settings, message
):
    checkpoint = checkpoints[task]
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        predict_checkpoint(checkpoint, [str(image)], out, device="cpu", **settings)
    assert f"{checkpoint} is a " in str(caught.value)
    assert "drop --" in str(caught.value)
    assert not out.exists()


def test_settings_of_the_task_are_still_taken(checkpoints, image, tmp_path):
    run = predict_checkpoint(
        checkpoints["segmenter"], [str(image)], tmp_path / "seg", device="cpu", plain=True
    )
    assert run.images == 1 and not run.failed
    run = predict_checkpoint(
        checkpoints["detector"], [str(image)], tmp_path / "det", "cpu", score_threshold=0.5
    )
    assert run.images == 1 and run.score_threshold == 0.5
