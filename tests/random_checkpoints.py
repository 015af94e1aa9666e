"""Checkpoints with random weights, written as training writes them (``config``, ``classes``,
``model``, ``meta``) from a config and ``build_model``, without a training step: for the tests
that need a model that answers, not a good one.
"""

from __future__ import annotations

from pathlib import Path

import torch

from detseg.config import load_config
from detseg.data.shapes import SHAPE_CLASSES
from detseg.engine.checkpointing import save_checkpoint
from detseg.models import build_model

REPO = Path(__file__).resolve().parents[1]

#: overrides of configs/demo.yaml: a small, fast detector that keeps every detection
DETECTOR = [
    "model.min_size=64",
    "model.max_size=64",
    "model.rpn={pre_nms_top_n_test: 50, post_nms_top_n_test: 20}",
    "model.roi_heads={detections_per_img: 10}",
    "eval.score_threshold=0.0",  # random weights score low: keep every detection
    "device=cpu",
]

#: overrides of configs/segmentation/unet_shapes.yaml: a tiny U-Net scored in one plain pass
TINY_UNET = [
    "model.base_channels=8",
    "model.depth=2",
    "eval.tta=none",
    "eval.tta_scales=[1.0]",
    "eval.crf.iterations=0",
    "data.cache=false",
    "device=cpu",
]


def write_checkpoint(
    path: Path,
    config: str,
    overrides: list[str],
    cat_ids: list[int] | None = None,
    classes: list[str] | tuple[str, ...] = SHAPE_CLASSES,
) -> Path:
    """A checkpoint of ``config`` (a path under the repository) with random weights (seed 0)
    and ``classes`` (the shapes')."""
    cfg = load_config(REPO / config, overrides)
    torch.manual_seed(0)
    model = build_model(cfg.model.to_dict(), num_classes=len(classes))
    state = {
        "config": cfg.to_dict(),
        "classes": list(classes),
        "model": model.state_dict(),
        "meta": {"cat_ids": cat_ids},
    }
    save_checkpoint(path, state)
    return path
