"""Every detection config trains one iteration on the shapes dataset (its COCO layout) with
only the overrides its header comment documents, in this process, through
``detseg.engine.training.train`` (the function tools/train.py runs). The table of overrides is
``tests/detection_config_smoke.py``; the VOC and YOLO layouts are in
``test_config_trains_on_layouts.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from detection_config_smoke import ON_SHAPES, SMOKE, SMOKE_MODEL

from detseg.config import load_config
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.records import read_metrics
from detseg.engine.training import train
from detseg.engine.validation import COCO_KEYS, SEGM_KEYS

REPO = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/tools/conftest.py


def test_every_config_has_shapes_overrides():
    """Detection configs; configs/segmentation/ has its table in test_tools_seg_e2e.py."""
    configs = {str(p.relative_to(REPO)) for p in (REPO / "configs").rglob("*.yaml")}
    detection = {c for c in configs if not c.startswith(("configs/_base_/", "configs/datasets/"))}
    detection = {c for c in detection if "/segmentation/" not in c}
    assert detection == set(ON_SHAPES)


@pytest.fixture
def train_config():
    """``train_config(config, work_dir, sets, resume=False)``: the exit code of a training run
    in this process (no import per config)."""

    def run(config: str, work_dir: Path, sets: list[str], resume: bool = False) -> int:
        return train(load_config(REPO / config, sets), work_dir, resume=resume).exit_code

    return run


@pytest.mark.parametrize("config", sorted(ON_SHAPES))
def test_config_trains_on_shapes(config, shapes, tmp_path, train_config):
    name = yaml.safe_load((REPO / config).read_text())["model"]["name"]
    smoke_model = next(v for k, v in SMOKE_MODEL.items() if name.startswith(k))
    sets = [f"data.root={shapes}", *ON_SHAPES[config], *SMOKE, *smoke_model]
    assert train_config(config, tmp_path, sets) == 0
    last = load_checkpoint(tmp_path / "last.pt")
    assert last["meta"]["iteration"] == 1
    assert (
        last["config"]["model"]["name"]
        == yaml.safe_load((REPO / config).read_text())["model"]["name"]
    )
    [val] = [r for r in read_metrics(tmp_path / "metrics.jsonl") if r["type"] == "val"]
    assert set(COCO_KEYS) <= set(val)
    if name.startswith("mask_rcnn"):  # box AP and mask AP; best.pt chosen on the box AP
        assert set(SEGM_KEYS) <= set(val) and last["config"]["data"]["load_masks"] is True
        assert load_checkpoint(tmp_path / "best.pt")["meta"]["metrics"]["AP"] == val["AP"]
    else:
        assert not set(SEGM_KEYS) & set(val)
