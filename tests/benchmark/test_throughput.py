"""Interleaved throughput measurement (tools/benchmark.py model)."""

import pytest
import torch
from torch import nn

from detseg.benchmark.throughput import (
    AMP_DTYPES,
    compare_throughput,
    measure_interleaved,
    training_step,
)


def test_calls_alternate_and_each_gets_its_own_timings():
    order = []
    calls = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    result = measure_interleaved(calls, batch_size=4, device=torch.device("cpu"), repeats=3)
    # one warm-up round, then 3 timed rounds, in turn, the order turning every round
    assert order == ["a", "b", "b", "a"] * 2
    assert set(result) == {"a", "b"}
    for throughput in result.values():
        assert len(throughput.seconds_per_call) == 3
        median = sorted(throughput.seconds_per_call)[1]
        assert throughput.images_per_s == 4 / median


def test_compare_throughput_trains_in_train_mode_and_infers_in_eval_mode():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    x = torch.rand(5, 3)
    modes, grads, trained = [], [], []

    def train_fn():
        modes.append(("train", model.training, torch.is_grad_enabled()))
        trained.append(model[0].weight.detach().clone())
        return {"loss": model(x).pow(2).mean()}

    def infer_fn():
        modes.append(("infer", model.training, torch.is_grad_enabled()))
        grads.append(model[0].weight.clone())
        return model(x)

    before = model[0].weight.clone()
    train, infer = compare_throughput({"m": (model, train_fn, infer_fn)}, 5, torch.device("cpu"), 2)
    assert set(train) == set(infer) == {"m"} and train["m"] > 0 and infer["m"] > 0
    assert {m for m in modes if m[0] == "train"} == {("train", True, True)}
    assert {m for m in modes if m[0] == "infer"} == {("infer", False, False)}
    assert not torch.equal(trained[0], trained[-1])  # the SGD steps changed the weights
    assert torch.equal(before, model[0].weight)  # ... which are put back for inference
    assert all(torch.equal(g, before) for g in grads)  # and inference leaves them alone


@pytest.mark.parametrize("amp", ["none", "bf16"])
def test_compare_throughput_runs_both_calls_under_autocast_when_asked(amp):
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    x = torch.rand(5, 3)
    dtypes = set()

    def train_fn():
        out = model(x)
        dtypes.add(("train", torch.is_autocast_enabled("cpu"), out.dtype))
        return {"loss": out.float().pow(2).mean()}

    def infer_fn():
        out = model(x)
        dtypes.add(("infer", torch.is_autocast_enabled("cpu"), out.dtype))
        return out

    dtype = AMP_DTYPES[amp]
    compare_throughput({"m": (model, train_fn, infer_fn)}, 5, torch.device("cpu"), 1, dtype)
    expected = torch.float32 if dtype is None else dtype
    assert dtypes == {
        ("train", dtype is not None, expected),
        ("infer", dtype is not None, expected),
    }
    assert model.weight.dtype == torch.float32  # autocast casts copies, the weights stay float32


def test_fp16_training_step_scales_the_loss_and_still_steps():
    torch.manual_seed(0)
    model, x = nn.Linear(3, 2), torch.rand(5, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    step = training_step(
        lambda: {"loss": model(x).float().pow(2).mean()},
        optimizer,
        torch.device("cpu"),
        torch.float16,
    )
    before = model.weight.clone()
    step()
    assert not torch.equal(before, model.weight)
    assert model.weight.grad.dtype == torch.float32 and torch.isfinite(model.weight.grad).all()
    with pytest.raises(ValueError, match="device"):
        training_step(lambda: {}, optimizer, amp=torch.bfloat16)
