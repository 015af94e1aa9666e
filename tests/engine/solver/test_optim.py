"""Optimizers: SGD / AdamW, frozen parameters, no-decay parameter groups, fused updates, the
learning-rate scaling rule."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from detseg.engine.solver import build_optimizer, can_fuse, parameter_groups, scaled_lr


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(2, 1, bias=False)


def test_no_decay_groups_hold_norm_parameters_and_biases():
    model = TinyNet()
    decay, no_decay = parameter_groups(model, 1e-4, no_decay_norm_bias=True)
    assert {id(p) for p in decay["params"]} == {id(model.conv.weight), id(model.fc.weight)}
    no_decay_ids = {id(model.conv.bias), id(model.bn.weight), id(model.bn.bias)}
    assert {id(p) for p in no_decay["params"]} == no_decay_ids
    assert decay["weight_decay"] == 1e-4 and no_decay["weight_decay"] == 0.0
    single = build_optimizer(model, "sgd", 0.1, no_decay_norm_bias=False)
    assert len(single.param_groups) == 1
    assert [id(p) for p in single.param_groups[0]["params"]] == [id(p) for p in model.parameters()]


def test_no_decay_parameters_do_not_shrink():
    model = TinyNet()
    with torch.no_grad():
        model.bn.weight.fill_(2.0)
        model.conv.weight.fill_(2.0)
    optimizer = build_optimizer(
        model, "sgd", lr=0.1, momentum=0.0, weight_decay=0.5, no_decay_norm_bias=True
    )
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    assert torch.all(model.bn.weight == 2.0)
    assert torch.allclose(model.conv.weight, torch.full_like(model.conv.weight, 2.0 * 0.95))


def test_lr_scaling_rule():
    assert scaled_lr(0.02, 16, 16, "linear") == 0.02
    assert scaled_lr(0.02, 4, 16, "linear") == pytest.approx(0.005)
    assert scaled_lr(0.01, 64, 16, "sqrt") == pytest.approx(0.02)
    assert scaled_lr(0.01, 64, 16, "none") == 0.01
    with pytest.raises(ValueError, match="base_batch_size"):
        scaled_lr(0.01, 4, 0, "linear")


def test_build_optimizer_skips_frozen_parameters():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    model[0].weight.requires_grad_(False)
    sgd = build_optimizer(model, "sgd", lr=0.1, momentum=0.8, weight_decay=0.01)
    assert isinstance(sgd, torch.optim.SGD)
    assert len(sgd.param_groups[0]["params"]) == 3
    assert sgd.param_groups[0]["momentum"] == 0.8
    adamw = build_optimizer(model, "adamw", lr=0.001, momentum=0.9, weight_decay=0.05)
    assert isinstance(adamw, torch.optim.AdamW)
    assert adamw.param_groups[0]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="unknown optimizer 'adam'"):
        build_optimizer(model, "adam", lr=0.1)


@pytest.mark.parametrize("name", ["sgd", "adamw"])
def test_fused_update_equals_the_per_tensor_loop(name):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    reference = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    reference.load_state_dict(model.state_dict())
    fused = build_optimizer(model, name, lr=0.01, momentum=0.9, weight_decay=0.01)
    assert fused.defaults["fused"] is True  # CPU float32 parameters
    ref_cls = torch.optim.SGD if name == "sgd" else torch.optim.AdamW
    kwargs = {"momentum": 0.9} if name == "sgd" else {"betas": (0.9, 0.999)}
    loop = ref_cls(reference.parameters(), lr=0.01, weight_decay=0.01, foreach=False, **kwargs)
    for _ in range(3):  # the same gradients for both: the updates must agree
        for p, q in zip(model.parameters(), reference.parameters(), strict=True):
            p.grad = torch.randn_like(p)
            q.grad = p.grad.clone()
        fused.step()
        loop.step()
    for got, want in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(got, want)
    on_meta = torch.nn.Linear(2, 2, device="meta")  # a device without fused kernels
    assert not can_fuse([{"params": list(on_meta.parameters())}])
    assert build_optimizer(on_meta, name, lr=0.1).defaults["fused"] is False
