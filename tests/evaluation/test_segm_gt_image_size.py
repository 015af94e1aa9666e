"""A Mask R-CNN checkpoint evaluated on a COCO ground truth with an image without ``height`` /
``width`` (mask AP decodes the masks at that size; pycocotools fails with a ``KeyError``):
one line naming the annotation file and the image, before any image is predicted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

import detseg.evaluation.checkpoint_detection_eval as checkpoint_detection_eval
from detseg.config import load_config
from detseg.data.registry import build_dataset
from detseg.data.shapes import generate_shapes

REPO = Path(__file__).resolve().parents[2]


class _MaskModel(nn.Module):
    has_masks = True


def test_image_without_size_is_named_before_predicting(tmp_path, monkeypatch):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=2, size=32, seed=0)
    val_ann = root / "annotations" / "instances_val.json"
    gt = json.loads(val_ann.read_text())
    del gt["images"][1]["height"]
    val_ann.write_text(json.dumps(gt))
    cfg = load_config(
        REPO / "configs/mask_rcnn/mask_rcnn_shapes.yaml", [f"data.root={root}", "device=cpu"]
    )
    val_set = build_dataset(cfg.data.dataset_kwargs(), "val")

    def predict(*args, **kwargs):
        raise AssertionError("predicted before checking the ground truth")

    monkeypatch.setattr(checkpoint_detection_eval, "predict_batches", predict)
    with pytest.raises(ValueError, match=r"instances_val\.json: image 2 has no 'height'") as err:
        checkpoint_detection_eval.evaluate_detector(
            tmp_path / "best.pt", cfg, _MaskModel(), val_set, torch.device("cpu"), tmp_path / "out"
        )
    assert "\n" not in str(err.value)
