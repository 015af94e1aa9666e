"""The README's Python examples run as written.

The first one loads ``runs/demo/best.pt`` and reads ``datasets/shapes/test/images/000000.png``
(what ``make demo`` leaves behind): here a tiny shapes set and a one-step run of the demo
config with a small model stand in for them, in a temporary working directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from detseg.config import load_config
from detseg.data.shapes import SHAPE_CLASSES, generate_shapes
from detseg.engine import train

REPO = Path(__file__).resolve().parents[1]

ONE_STEP_DEMO = [
    "model.backbone=resnet18",
    "model.width_mult=1.0",
    "model.fpn=false",
    "model.return_layers=null",
    "model.anchor_sizes=null",
    "model.aspect_ratios=null",
    "model.min_size=128",
    "model.max_size=128",
    "model.representation_size=32",
    "train.max_iters=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.warmup_iters=1",
    "train.tensorboard=false",
    "eval.batch_size=2",
    "device=cpu",
]


def python_blocks() -> list[str]:
    """The fenced ``python`` code blocks of README.md, in order."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.fixture
def demo_outputs(tmp_path, monkeypatch) -> Path:
    """A working directory holding ``datasets/shapes`` and ``runs/demo/best.pt``."""
    shapes = tmp_path / "datasets" / "shapes"
    generate_shapes(shapes, num_train=4, num_val=2, num_test=1, size=128, seed=0)
    cfg = load_config(REPO / "configs" / "demo.yaml", [f"data.root={shapes}", *ONE_STEP_DEMO])
    assert train(cfg, tmp_path / "runs" / "demo").exit_code == 0
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_the_three_python_examples():
    blocks = python_blocks()
    assert len(blocks) == 3
    assert 'detseg.load("runs/demo/best.pt")' in blocks[0]
    assert len([line for line in blocks[0].splitlines() if line.strip()]) == 5
    assert "predictor.stream(" in blocks[1] and len(blocks[1].splitlines()) == 3
    assert "build_model(" in blocks[2]


def test_detecting_with_the_demo_checkpoint(demo_outputs, capsys):
    namespace: dict = {}
    exec(python_blocks()[0], namespace)
    result = namespace["result"]
    assert result.boxes.shape[1:] == (4,)
    assert len(result.scores) == len(result.labels) == len(result.boxes) == len(result.names)
    assert set(result.names) <= set(SHAPE_CLASSES)
    assert bool((result.scores >= namespace["predictor"].score_threshold).all())
    printed = capsys.readouterr().out
    assert printed.startswith("DetectionResult(")
    assert (demo_outputs / "runs" / "prediction.png").is_file()
    exec(python_blocks()[1], namespace)  # streaming over the folder of test images
    assert capsys.readouterr().out.startswith("000000.png [")
    assert (demo_outputs / "runs" / "predictions" / "000000.png").is_file()


def test_losses_and_predict_of_a_model_built_by_name():
    torch.manual_seed(0)
    namespace: dict = {}
    exec(python_blocks()[2], namespace)
    losses = namespace["losses"]
    assert set(losses) == {"loss_cls", "loss_box"}
    assert all(torch.isfinite(value) for value in losses.values())
    model = namespace["model"]
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    assert set(namespace["detections"]) == {"boxes", "scores", "labels"}
