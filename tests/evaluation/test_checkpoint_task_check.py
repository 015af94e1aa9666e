"""evaluate_checkpoint refuses a model on data of the other task (a segmenter on detection
data, a detector on segmentation data) in one line, before any data is read: ``data.root``
does not even exist here."""

from __future__ import annotations

import pytest
from random_checkpoints import DETECTOR, write_checkpoint

from detseg.config import ConfigError
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint

SEGMENTER = ["model.base_channels=8", "model.depth=2", "device=cpu"]


@pytest.mark.parametrize(
    ("config", "overrides", "data", "message"),
    [
        (
            "configs/segmentation/unet_shapes.yaml",
            SEGMENTER,
            "data.format=coco",
            r"model.name 'unet' is a segmentation model but data.format 'coco' is a detection",
        ),
        (
            "configs/demo.yaml",
            DETECTOR,
            "data.format=shapes_seg",
            r"is a detection model but data.format 'shapes_seg' is a segmentation dataset",
        ),
    ],
)
def test_a_model_on_data_of_the_other_task_is_one_line(tmp_path, config, overrides, data, message):
    checkpoint = write_checkpoint(tmp_path / "best.pt", config, overrides)
    missing = tmp_path / "no_data"
    with pytest.raises(ConfigError, match=message) as info:
        evaluate_checkpoint(checkpoint, overrides=[data, f"data.root={missing}"])
    assert str(info.value).startswith(f"{checkpoint}: ")
    assert "\n" not in str(info.value)
    assert not missing.exists() and not (tmp_path / "eval").exists()


def test_the_eval_tool_exits_2_without_a_traceback(tmp_path, run_tool):
    checkpoint = write_checkpoint(
        tmp_path / "best.pt", "configs/segmentation/unet_shapes.yaml", SEGMENTER
    )
    result = run_tool(
        "eval.py", checkpoint, "--set", "data.format=coco", f"data.root={tmp_path / 'none'}"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "is a segmentation model but data.format 'coco'" in result.stderr
