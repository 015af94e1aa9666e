"""The evaluation report names the data it scored: the val keys, so a run pointed at the
held-out test split says so (it said "(val split)" whatever the keys were)."""

from __future__ import annotations

import json
from pathlib import Path

from random_checkpoints import write_checkpoint

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
from detseg.evaluation.evaluation_split import evaluated_split

REPO = Path(__file__).resolve().parents[2]
SEGMENTER = ["model.base_channels=8", "model.depth=2", "eval.crf.iterations=0", "eval.tta=none"]


def test_the_config_keys_or_the_formats_defaults_are_named() -> None:
    held_out = ["val_images=test/images", "val_ann=annotations/instances_test.json"]
    cfg = load_config(REPO / "configs/demo.yaml", [f"data.{k}" for k in held_out])
    assert evaluated_split(cfg.data) == (
        f"coco at {cfg.data.root} (val_images test/images, val_ann annotations/instances_test.json)"
    )
    cfg = load_config(REPO / "configs/segmentation/unet_shapes.yaml", ["data.val_split=test"])
    assert evaluated_split(cfg.data).endswith("(val_split test)")
    cfg = load_config(REPO / "configs/segmentation/unet_shapes.yaml")
    assert evaluated_split(cfg.data).endswith("(val_split val)")  # the format's default


def test_metrics_json_of_a_test_split_evaluation_names_it(tmp_path: Path) -> None:
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=1, num_test=2, size=64, seed=0)
    checkpoint = write_checkpoint(
        tmp_path / "seg.pt", "configs/segmentation/unet_shapes.yaml", [*SEGMENTER, "device=cpu"]
    )
    out = tmp_path / "eval"
    evaluate_checkpoint(checkpoint, out=out, overrides=[f"data.root={root}", "data.val_split=test"])
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["info"]["dataset"] == f"shapes_seg at {root} (val_split test)"
    assert metrics["info"]["images"] == 2
