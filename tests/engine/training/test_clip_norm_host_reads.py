"""``train.grad_clip`` under ``on_nonfinite="stop"`` adds no host read per step on a GPU.

The clipped norm stays a device tensor there (read on logged steps only); on the CPU, where a
read costs nothing, and under ``"skip"``, which must drop a step with a non-finite gradient
before the update, it is read at once. The GPU is stood in for by ``host_reads_are_free``
answering False, as the loss tests of ``tests/segmentation/test_losses_without_host_reads.py``
do.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from detseg.engine.training import StepSettings, optimizer_step


def _model_with_gradient() -> nn.Module:
    model = nn.Linear(3, 2)
    model(torch.ones(1, 3)).sum().backward()
    return model


def _gradient_norm(model: nn.Module) -> float:
    """The global L2 norm of ``model``'s gradients, before any clipping."""
    norms = torch.stack([torch.linalg.vector_norm(p.grad) for p in model.parameters()])
    return float(torch.linalg.vector_norm(norms))


@pytest.mark.parametrize("reads_free", [True, False])
def test_skip_reads_the_clipped_norm(monkeypatch, reads_free):
    monkeypatch.setattr(optimizer_step, "host_reads_are_free", lambda device: reads_free)
    settings = StepSettings(grad_clip=1.0, on_nonfinite="skip")
    model = _model_with_gradient()
    expected = _gradient_norm(model)  # sqrt(8), above grad_clip: clipped
    norm = optimizer_step._clip_or_measure(model, settings)
    assert isinstance(norm, float) and norm == pytest.approx(expected)
    assert _gradient_norm(model) == pytest.approx(1.0)


def test_stop_reads_the_clipped_norm_on_the_cpu(monkeypatch):
    monkeypatch.setattr(optimizer_step, "host_reads_are_free", lambda device: True)
    model = _model_with_gradient()
    expected = _gradient_norm(model)
    norm = optimizer_step._clip_or_measure(model, StepSettings(grad_clip=1.0))
    assert isinstance(norm, float) and norm == pytest.approx(expected)
    assert _gradient_norm(model) == pytest.approx(1.0)


def test_stop_leaves_the_clipped_norm_on_the_device_where_reads_wait(monkeypatch):
    monkeypatch.setattr(optimizer_step, "host_reads_are_free", lambda device: False)
    model = _model_with_gradient()
    expected = torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(p.grad) for p in model.parameters()])
    )
    norm = optimizer_step._clip_or_measure(model, StepSettings(grad_clip=1.0))
    assert isinstance(norm, torch.Tensor) and norm.dim() == 0
    torch.testing.assert_close(norm, expected)
