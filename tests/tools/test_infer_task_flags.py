"""infer.py flags of the other task are refused, naming the flag and the checkpoint, before
anything is written: ``--tta`` / ``--plain`` for a detector (they would be ignored), and
``--score-thr`` for a segmenter (it keeps every pixel's class). ``predict_checkpoint`` called
from Python names the keyword its caller gave instead (``tta hflip``, ``drop tta``)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from random_checkpoints import DETECTOR, write_checkpoint
from tool_modules import load_tool

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


REFUSED = [
    ("detector", {"tta": "hflip"}, "--tta hflip", "--tta", "tta hflip", "tta"),
    ("detector", {"plain": True}, "--plain", "--plain", "plain", "plain"),
    (
        "segmenter",
        {"score_threshold": 0.5},
        "--score-thr 0.5",
        "--score-thr",
        "score_threshold 0.5",
        "score_threshold",
    ),
    ("segmenter", {"classes": ["circle"]}, "--classes", "--classes", "classes", "classes"),
]


@pytest.mark.parametrize(
    ("task", "settings", "flag", "flag_name", "keyword", "keyword_name"), REFUSED
)
@pytest.mark.parametrize("caller", ["tool", "python"])
def test_a_setting_of_the_other_task_is_refused_before_writing(
    checkpoints, image, tmp_path, task, settings, flag, flag_name, keyword, keyword_name, caller
):
    """The tool's flags (``INFER_FLAGS``, as ``tools/infer.py`` passes them), or the keywords
    of a Python call."""
    checkpoint = checkpoints[task]
    out = tmp_path / "out"
    flags = load_tool("infer.py").INFER_FLAGS if caller == "tool" else None
    given, name = (flag, flag_name) if caller == "tool" else (keyword, keyword_name)
    other = "segmentation" if task == "detector" else "detectors"
    with pytest.raises(ValueError, match="^" + re.escape(f"{given} is for {other}")) as caught:
        predict_checkpoint(checkpoint, [str(image)], out, device="cpu", flags=flags, **settings)
    assert f"{checkpoint} is a " in str(caught.value)
    assert str(caught.value).endswith(f": drop {name}")
    assert ("--" in str(caught.value)) == (caller == "tool")
    assert not out.exists()


def test_the_tool_names_its_flag(checkpoints, image, tmp_path, run_tool):
    result = run_tool(
        "infer.py", checkpoints["segmenter"], image, "--out", tmp_path / "o", "--score-thr", "0.5"
    )
    assert result.returncode == 2
    assert "error: --score-thr 0.5 is for detectors; " in result.stderr, result.stderr
    assert result.stderr.rstrip().endswith(": drop --score-thr"), result.stderr


def test_settings_of_the_task_are_still_taken(checkpoints, image, tmp_path):
    run = predict_checkpoint(
        checkpoints["segmenter"], [str(image)], tmp_path / "seg", device="cpu", plain=True
    )
    assert run.images == 1 and not run.failed
    run = predict_checkpoint(
        checkpoints["detector"], [str(image)], tmp_path / "det", "cpu", score_threshold=0.5
    )
    assert run.images == 1 and run.score_threshold == 0.5
