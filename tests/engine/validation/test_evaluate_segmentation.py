"""Segmentation evaluation over a loader, its table / metrics.json, and mask drawing.

Expectations are worked out by hand on 2x2 / 2x3 label maps.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from detseg.data.label_maps import read_label_map
from detseg.data.seg_loader import SegBatch, collate_segmentation
from detseg.engine.validation import (
    evaluate_segmentation,
    segmentation_table,
    write_segmentation_metrics,
)
from detseg.visualize import class_colors, draw_segmentation, save_label_map


class FixedPredictor(torch.nn.Module):
    """``predict`` hands out the queued label maps in order (one batch per call)."""

    task = "segmentation"

    def __init__(self, outputs: list[torch.Tensor]) -> None:
        super().__init__()
        self.outputs = list(outputs)
        self.seen_training: list[bool] = []

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        self.seen_training.append(self.training)
        out = self.outputs.pop(0)
        assert out.shape == (images.shape[0], *images.shape[-2:])
        return out


def test_evaluate_segmentation_streams_batches_and_ignores_padding():
    # Batch 1: a 2x2 and a 1x2 image; the second is padded with 255 in the mask.
    batch1 = collate_segmentation(
        [
            (torch.zeros(3, 2, 2), torch.tensor([[0, 1], [1, 2]])),
            (torch.zeros(3, 1, 2), torch.tensor([[2, 2]])),
        ]
    )
    assert batch1.masks[1, 1].tolist() == [255, 255]
    # Each image is labelled at its own size: one predict call per size.
    pred_2x2 = torch.tensor([[[0, 1], [2, 2]]])
    pred_1x2 = torch.tensor([[[2, 0]]])
    batch2 = collate_segmentation([None])  # an unreadable image: empty batch, skipped
    model = FixedPredictor([pred_2x2, pred_1x2])
    model.train()
    metrics = evaluate_segmentation(model, [batch1, batch2], torch.device("cpu"), num_classes=3)
    # Counted pixels (gt -> pred): 0->0, 1->1, 1->2, 2->2, 2->2, 2->0.
    # class 0: tp 1, gt 1, pred 2 -> IoU 1/2; class 1: tp 1, gt 2, pred 1 -> 1/2;
    # class 2: tp 2, gt 3, pred 3 -> 2/4.
    assert metrics["IoU"] == pytest.approx([0.5, 0.5, 0.5])
    assert metrics["mIoU"] == pytest.approx(0.5)
    assert metrics["pixel_acc"] == pytest.approx(4 / 6)
    assert metrics["mean_acc"] == pytest.approx((1 + 0.5 + 2 / 3) / 3)
    assert metrics["fwIoU"] == pytest.approx((1 * 0.5 + 2 * 0.5 + 3 * 0.5) / 6)
    assert metrics["images"] == 2 and metrics["absent_classes"] == []
    assert model.seen_training == [False, False] and model.training  # eval inside, mode restored


def test_absent_class_is_nan_named_in_the_table_and_written_as_nan(tmp_path):
    batch = SegBatch(torch.zeros(1, 3, 1, 2), torch.tensor([[[0, 1]]]), 0, [(1, 2)])
    model = FixedPredictor([torch.tensor([[[0, 1]]])])
    metrics = evaluate_segmentation(model, [batch], torch.device("cpu"), num_classes=3)
    assert math.isnan(metrics["IoU"][2]) and metrics["absent_classes"] == [2]
    assert metrics["mIoU"] == 1.0
    table = segmentation_table(metrics, ["cat", "dog"])
    assert "dog" in table.splitlines()[-1] and "Absent classes" in table
    assert "background" in table and "cat" in table
    path = write_segmentation_metrics(tmp_path, metrics, ["cat", "dog"], {"images": 1})
    record = json.loads(path.read_text())
    assert record["IoU"] == {"background": 1.0, "cat": 1.0, "dog": "nan"}
    assert record["absent_classes"] == ["dog"] and record["mIoU"] == 1.0
    assert record["num_classes"] == 3 and record["info"] == {"images": 1}


def test_table_rejects_metrics_of_another_class_count():
    metrics = {"mIoU": 1.0, "pixel_acc": 1.0, "mean_acc": 1.0, "fwIoU": 1.0, "IoU": [1.0, 1.0]}
    with pytest.raises(ValueError, match="num_classes=K\\+1"):
        segmentation_table(metrics, ["a", "b"])


def test_draw_segmentation_blends_class_colours_and_adds_a_legend():
    image = np.full((40, 30, 3), 100, np.uint8)
    labels = np.zeros((40, 30), np.int64)
    labels[:10] = 2
    labels[10:12] = 255  # void: drawn like background
    out = draw_segmentation(image, torch.from_numpy(labels), ["a", "b", "c"], alpha=0.5)
    assert image.max() == 100  # input untouched
    assert out.shape[0] == 40 and out.shape[1] > 30  # legend panel on the right
    expected = np.round(0.5 * 100 + 0.5 * np.array(class_colors(3)[1])).astype(np.uint8)
    assert out[5, 5].tolist() == expected.tolist()
    assert out[11, 5].tolist() == [100, 100, 100] and out[30, 5].tolist() == [100, 100, 100]
    legend = out[:, 30:]
    color = np.array(class_colors(3)[1], np.uint8)
    assert (legend == color).all(axis=2).any()  # the swatch of "b", the only class present
    assert not (legend == np.array(class_colors(3)[0], np.uint8)).all(axis=2).any()


def test_draw_segmentation_checks_its_inputs():
    image = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="label map shape"):
        draw_segmentation(image, np.zeros((4, 5), np.int64), ["a"])
    with pytest.raises(ValueError, match="label 2 has no class name"):
        draw_segmentation(image, np.full((4, 4), 2), ["a"])


def test_save_label_map_round_trips_through_read_label_map(tmp_path):
    labels = torch.tensor([[0, 1, 2], [7, 0, 255]])
    save_label_map(tmp_path / "sub" / "m.png", labels)
    back = read_label_map(tmp_path / "sub" / "m.png")
    assert back.dtype == np.uint8 and back.tolist() == labels.tolist()
    with pytest.raises(ValueError, match="0..255"):
        save_label_map(tmp_path / "bad.png", torch.tensor([[256]]))
