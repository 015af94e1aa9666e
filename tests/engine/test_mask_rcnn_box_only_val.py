"""A Mask R-CNN whose val json has no ``segmentation`` at all (a box-only file) trains: one
warning at start (rank 0 only) naming the file, validation scores the boxes alone (no ``segm_*``
keys, the masks not encoded), and the box AP picks ``best.pt`` as always, as ``tools/eval.py``
scores such a file. A val json where one annotation lacks its ``segmentation`` among others with
one stays an error (``tests/engine/training/test_instance_mask_data.py``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch
from detection_config_smoke import SMALL_RCNN, SMOKE

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.records import read_metrics
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training import train
from detseg.engine.training.train_data import build_data
from detseg.engine.validation import COCO_KEYS
from detseg.engine.validation import detection as validation_detection

REPO = Path(__file__).resolve().parents[2]
MASK_CONFIG = REPO / "configs/mask_rcnn/mask_rcnn_shapes.yaml"
WARNING = "no annotation has a 'segmentation'"


@pytest.fixture
def box_only_val(tmp_path: Path) -> tuple[Path, Path]:
    """Shapes data (2 train, 2 val images of 64 px) with masks in train and none in val:
    ``(root, val json)``."""
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=2, num_val=2, size=64, seed=0)
    ann_file = root / "annotations/instances_val.json"
    gt = json.loads(ann_file.read_text())
    for ann in gt["annotations"]:
        del ann["segmentation"]
    ann_file.write_text(json.dumps(gt))
    return root, ann_file


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and WARNING in r.getMessage()
    ]


def test_a_box_only_val_json_trains_and_scores_the_boxes(
    box_only_val, tmp_path, caplog, monkeypatch
):
    root, ann_file = box_only_val
    encoded = []  # the masks of validation's predictions are not encoded as RLEs
    real_rles = validation_detection.masks_to_rles
    monkeypatch.setattr(
        validation_detection,
        "masks_to_rles",
        lambda *args: encoded.append(1) or real_rles(*args),
    )
    work_dir = tmp_path / "run"
    cfg = load_config(MASK_CONFIG, [f"data.root={root}", *SMOKE, *SMALL_RCNN])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with caplog.at_level(logging.WARNING):
            result = train(cfg, work_dir)
    finally:
        torch.set_num_threads(threads)
    assert result.exit_code == 0
    [warning] = _warnings(caplog)
    assert warning.startswith(f"{ann_file}: {WARNING}")
    assert "mask AP is not computed" in warning and "box AP only" in warning
    assert "the box AP ranks checkpoints as always" in warning
    [val] = [r for r in read_metrics(work_dir / "metrics.jsonl") if r["type"] == "val"]
    assert set(COCO_KEYS) <= set(val) and "per_class" in val
    assert not [key for key in val if key.startswith("segm_")]
    assert not encoded
    last = load_checkpoint(work_dir / "last.pt")
    assert last["meta"]["iteration"] == 1 and last["config"]["data"]["load_masks"] is True
    assert load_checkpoint(work_dir / "best.pt")["meta"]["metrics"]["AP"] == val["AP"]
    assert (work_dir / "curves.png").stat().st_size > 0


def test_only_rank_0_warns_and_every_rank_scores_boxes_alone(box_only_val, caplog):
    root, _ = box_only_val
    sets = [f"data.root={root}", "train.num_workers=0"]
    with caplog.at_level(logging.WARNING):
        other = build_data(
            load_config(MASK_CONFIG, sets), "detection", DistInfo(rank=1, world_size=2)
        )
    assert not _warnings(caplog) and other.val_masks is False
    with caplog.at_level(logging.WARNING):
        main = build_data(load_config(MASK_CONFIG, sets), "detection")
    assert len(_warnings(caplog)) == 1 and main.val_masks is False


def test_a_val_json_with_masks_scores_them(tmp_path):
    generate_shapes(tmp_path, num_train=1, num_val=1, size=32, seed=0)
    sets = [f"data.root={tmp_path}", "train.num_workers=0"]
    assert build_data(load_config(MASK_CONFIG, sets), "detection").val_masks is True
