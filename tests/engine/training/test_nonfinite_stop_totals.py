"""A run stopped by a non-finite loss still counts the steps, skipped images and dropped boxes
of the epoch before the bad step (the summary's "N iterations this run", "Skipped images")."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from fake_batches import FakeBatch, train_on_cpu
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn
from torch import nn

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.detection.faster_rcnn import FasterRCNN
from detseg.engine import train
from detseg.engine.training import NonFiniteLossError

REPO = Path(__file__).resolve().parents[3]


class NaNOnThirdBatch(nn.Module):
    """losses = (w - 3)^2, NaN on the third batch that has images."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))
        self.calls = 0

    def losses(self, images, targets):
        self.calls += 1
        scale = float("nan") if self.calls == 3 else 1.0
        return {"loss": (self.w - 3.0) ** 2 * scale}


def test_the_error_carries_what_the_epoch_did_before_the_bad_step():
    image = torch.zeros(3, 4, 4)
    loader = [
        FakeBatch([image], skipped_images=1, dropped_boxes=2),
        FakeBatch([], skipped_images=2),  # every image unreadable: no step
        FakeBatch([image]),
        FakeBatch([image], skipped_images=1),  # the bad step's batch was read too
        FakeBatch([image]),
    ]
    with pytest.raises(NonFiniteLossError) as info:
        train_on_cpu(NaNOnThirdBatch(), loader)
    done = info.value.done
    assert done is not None
    assert (done.iterations, done.skipped_images, done.dropped_boxes) == (2, 4, 2)
    assert info.value.without_checkpoint().done is done


def test_a_run_stopped_by_a_nan_loss_reports_its_steps_and_skipped_images(tmp_path, monkeypatch):
    """8 training images (one unreadable) in 4 steps of 2; the 4th step's loss is NaN."""
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=8, num_val=2, size=64, seed=1)
    (root / "train" / "images" / "000003.png").write_bytes(b"not a png")
    losses = FasterRCNN.losses
    calls = []

    def nan_on_fourth_step(self, images, targets):
        calls.append(1)
        terms = losses(self, images, targets)
        return {k: v * float("nan") for k, v in terms.items()} if len(calls) == 4 else terms

    monkeypatch.setattr(FasterRCNN, "losses", nan_on_fourth_step)
    overrides = [
        *tiny_faster_rcnn(size=64),
        *SMALL_HEADS,
        f"data.root={root}",
        "train.epochs=1",
        "train.batch_size=2",
        "train.num_workers=0",
        "train.tensorboard=false",
        "device=cpu",
    ]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = train(load_config(REPO / "configs" / "demo.yaml", overrides), tmp_path / "run")
    finally:
        torch.set_num_threads(threads)
    assert result.exit_code == 1
    assert result.totals["iterations"] == 3
    assert result.totals["skipped_images"] == 1
