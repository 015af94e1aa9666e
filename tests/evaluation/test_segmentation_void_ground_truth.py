"""Evaluating a segmenter on a split whose label maps are void (255) everywhere scores no
pixel: ``tools/eval.py`` stops with one line naming the split and its label maps, a non-zero
exit, and no report of nan, as it does when it reads no image."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from random_checkpoints import TINY_UNET, write_checkpoint
from tool_in_process import run_tool_here

from detseg.command_line import USER_ERROR_EXIT_CODE
from detseg.data.shapes import generate_shapes
from detseg.evaluation import checkpoint_eval

OVERRIDES = TINY_UNET


@pytest.fixture(scope="module")
def void_split(tmp_path_factory) -> tuple[Path, Path]:
    """``(checkpoint, data root)``: a random-weight U-Net; its 2 val label maps all 255."""
    root = tmp_path_factory.mktemp("seg_void")
    data = root / "shapes"
    generate_shapes(data, num_train=1, num_val=2, size=64, seed=0)
    for path in (data / "masks" / "val").iterdir():
        cv2.imwrite(str(path), np.full((64, 64), 255, np.uint8))
    config = "configs/segmentation/unet_shapes.yaml"
    checkpoint = write_checkpoint(root / "best.pt", config, [*OVERRIDES, f"data.root={data}"])
    return checkpoint, data


def test_a_split_of_void_label_maps_is_an_error_naming_them(void_split, tmp_path):
    checkpoint, data = void_split
    with pytest.raises(ValueError, match=r"no pixel of the 2 image\(s\) of shapes_seg at") as err:
        checkpoint_eval.evaluate_checkpoint(checkpoint, tmp_path / "eval")
    message = str(err.value)
    assert f"({data / 'masks' / 'val'}) is void (255) everywhere" in message
    assert "tools/check_data.py" in message and "\n" not in message
    assert not (tmp_path / "eval" / "metrics.json").exists()


def test_eval_exits_with_one_line(void_split, tmp_path, capsys):
    checkpoint, _ = void_split
    code = run_tool_here("eval.py", checkpoint, "--out", tmp_path / "eval")
    assert code == USER_ERROR_EXIT_CODE
    lines = capsys.readouterr().err.splitlines()
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and "no pixel of the 2 image(s)" in errors[0]
    assert not any(line.startswith("Traceback") for line in lines)


def test_a_split_with_some_scored_pixels_is_reported(tmp_path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=2, size=64, seed=0)
    first = sorted((root / "masks" / "val").iterdir())[0]
    cv2.imwrite(str(first), np.full((64, 64), 255, np.uint8))  # one void image of two
    config = "configs/segmentation/unet_shapes.yaml"
    checkpoint = write_checkpoint(tmp_path / "best.pt", config, [*OVERRIDES, f"data.root={root}"])
    summary = checkpoint_eval.evaluate_checkpoint(checkpoint, tmp_path / "eval")
    assert summary.metrics["pixel_acc"] != "nan"
