"""Suite-wide pytest hooks and fixtures.

- Tests marked ``cuda`` run only where a CUDA GPU is.
- ``train_on_one_batch``: the overfit check of the training tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import Tensor, nn


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


def _check_finite(losses: dict[str, Tensor], step: int) -> None:
    for key, value in losses.items():
        assert torch.isfinite(value), f"step {step}: {key} = {value.item()}"


def _train_on_one_batch(
    model: nn.Module, images: Any, targets: Any, steps: int, lr: float
) -> tuple[float, float]:
    """Train ``model`` (its ``losses``, plain Adam) ``steps`` times on one batch.

    Every loss term must stay finite. Returns ``(total loss of the first step, total loss
    after the last step)``, the latter from one more call under ``no_grad``.
    """
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    initial = None
    for step in range(steps):
        losses = model.losses(images, targets)
        _check_finite(losses, step)
        total = sum(losses.values())
        initial = total.item() if initial is None else initial
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    with torch.no_grad():
        final_losses = model.losses(images, targets)
    _check_finite(final_losses, steps)
    assert initial is not None
    return initial, sum(final_losses.values()).item()


@pytest.fixture
def train_on_one_batch() -> Callable[..., tuple[float, float]]:
    """``train_on_one_batch(model, images, targets, steps, lr) -> (initial, final)`` total loss."""
    return _train_on_one_batch
