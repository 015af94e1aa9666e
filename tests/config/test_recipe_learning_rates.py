"""A packaged config that writes its own ``train.lr`` and ``train.batch_size`` also writes the
``train.base_batch_size`` that lr is for, unless it inherits ``null`` (lr for ``batch_size``).

``train.lr`` is scaled by ``effective batch / base_batch_size`` (linear scaling), and
``base_batch_size`` comes from the ``_base_`` file when a config does not set it: a recipe
that writes a paper's lr for its own batch but inherits the VOC base's ``base_batch_size: 1``
would train at ``batch_size`` times the paper's rate.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from detseg.config import load_config
from detseg.engine.solver.optim import scaled_lr

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
RECIPES = sorted(p for p in CONFIGS.rglob("*.yaml") if "_base_" not in p.parts)


def _own_train_section(path: Path) -> dict:
    """The ``train:`` mapping written in ``path`` itself (its ``_base_`` files left out)."""
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("train") or {}


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_an_own_lr_and_batch_come_with_their_base_batch(path):
    train = _own_train_section(path)
    if "lr" in train and "batch_size" in train and "base_batch_size" not in train:
        inherited = load_config(path).train.base_batch_size
        assert inherited is None, (
            f"{path.relative_to(CONFIGS)} writes lr {train['lr']} and batch_size "
            f"{train['batch_size']} but inherits base_batch_size {inherited}"
        )


@pytest.mark.parametrize(
    "name, lr",
    [
        ("retinanet/retinanet_r50_fpn_voc.yaml", 0.005),
        ("ssd/ssd300_vgg16_voc.yaml", 0.001),
        ("ssd/ssd300_vgg16_coco.yaml", 0.002),
        ("yolo/yolov3_voc.yaml", 0.001),
        ("yolo/yolov3_coco.yaml", 0.001),
    ],
)
def test_a_recipe_trains_at_its_stated_lr_on_one_process(name, lr):
    """The lr their header states, for the batch they set, on one process."""
    train = load_config(CONFIGS / name).train
    effective = train.batch_size * train.accumulate  # one process
    assert scaled_lr(train.lr, effective, train.base_batch_size, train.lr_scaling) == lr
