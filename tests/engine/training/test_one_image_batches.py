"""A batch of one image: the loader tops up an epoch's last batch of one (so an SSDlite, whose
last extra layer has BatchNorm on a 1 x 1 map, trains an epoch of 3 images at batch 2), and
BatchNorm's error for a batch that still holds one image says what helps: no advice about image
or crop sizes for a model that resizes every image to one size."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from fake_batches import FakeBatch
from torch import nn

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.solver import build_scheduler
from detseg.engine.training import StepSettings, train, train_one_epoch

REPO = Path(__file__).resolve().parents[3]


class _PooledNorm(nn.Module):
    """Global pooling then BatchNorm: one image gives one value per channel."""

    def __init__(self, fixed_size: tuple[int, int] | None) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(3)
        self.transform = SimpleNamespace(fixed_size=fixed_size)

    def losses(self, images, targets):
        pooled = torch.stack([image.mean(dim=(1, 2)) for image in images])  # [B, 3]
        return {"loss_a": self.norm(pooled).square().mean()}


def _train_one_image(fixed_size: tuple[int, int] | None) -> str:
    model = _PooledNorm(fixed_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=1, total_iters=1)
    batch = FakeBatch([torch.rand(3, 4, 4)])
    with pytest.raises(ValueError, match="one value per channel") as info:
        train_one_epoch(
            model, [batch], optimizer, scheduler, torch.device("cpu"), settings=StepSettings()
        )
    return str(info.value)


def test_a_fixed_size_model_is_told_batch_size_only():
    message = _train_one_image((64, 64))
    assert "a batch of one image" in message
    assert "train.batch_size 1 or a batch whose other images were unreadable" in message
    assert message.endswith("resizes every image to one size, so use train.batch_size >= 2")
    assert "larger" not in message and "crop" not in message


def test_a_resizing_model_is_told_sizes_and_crops_as_well():
    message = _train_one_image(None)
    assert "a batch of one image" in message
    assert message.endswith(
        "use train.batch_size >= 2, larger images or a larger crop in data.augmentations"
    )


def test_ssdlite_trains_an_epoch_of_three_images_at_batch_two(tmp_path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=3, num_val=1, size=64, seed=0)
    sets = [
        f"data.root={root}",
        "model.size=64",
        "model.width_mult=0.25",
        "train.batch_size=2",
        "train.epochs=1",
        "train.num_workers=0",
        "train.warmup_iters=0",
        "eval.max_images=1",
        "eval.batch_size=1",
        "device=cpu",
    ]
    config = load_config(REPO / "configs/ssd/ssdlite320_shapes.yaml", sets)
    result = train(config, tmp_path / "run")
    assert result.exit_code == 0


def test_ssdlite_resumed_inside_the_epoch_trains_the_same_topped_up_batch(tmp_path):
    """Stopped after the epoch's first batch (a mid-epoch ``last.pt``), then resumed: the last
    batch (one image topped up with the epoch's first) is the one the uninterrupted run saw."""
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=3, num_val=1, size=64, seed=0)
    sets = [
        f"data.root={root}",
        "model.size=64",
        "model.width_mult=0.25",
        "train.batch_size=2",
        "train.epochs=1",
        "train.num_workers=0",
        "train.warmup_iters=0",
        "train.checkpoint_every=1",
        "eval.max_images=1",
        "eval.batch_size=1",
        "device=cpu",
    ]
    config = load_config(REPO / "configs/ssd/ssdlite320_shapes.yaml", sets)
    reference = tmp_path / "reference"
    assert train(config, reference).exit_code == 0
    periodic = load_checkpoint(reference / "last.1.pt")
    assert periodic["meta"]["iteration"] == 1  # inside the epoch: one batch of two done
    resumed = tmp_path / "resumed"
    shutil.copytree(reference, resumed)
    shutil.copy(reference / "last.1.pt", resumed / "last.pt")
    assert train(config, resumed, resume=True).exit_code == 0
    expected, got = load_checkpoint(reference / "last.pt"), load_checkpoint(resumed / "last.pt")
    assert got["meta"]["iteration"] == expected["meta"]["iteration"] == 2
    for key, value in expected["model"].items():
        assert torch.equal(value, got["model"][key]), key
