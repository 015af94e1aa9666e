"""Interleaved throughput measurement (tools/benchmark.py model)."""

import torch
from torch import nn

from detseg.engine.throughput import compare_throughput, measure_interleaved


def test_calls_alternate_and_each_gets_its_own_timings():
    order = []
    calls = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    result = measure_interleaved(calls, batch_size=4, device=torch.device("cpu"), repeats=3)
    assert order == ["a", "b"] * 4  # one warm-up round, then 3 timed rounds, in turn
    assert set(result) == {"a", "b"}
    for throughput in result.values():
        assert len(throughput.seconds_per_call) == 3
        median = sorted(throughput.seconds_per_call)[1]
        assert throughput.images_per_s == 4 / median


def test_compare_throughput_trains_in_train_mode_and_infers_in_eval_mode():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    x = torch.rand(5, 3)
    modes, grads = [], []

    def train_fn():
        modes.append(("train", model.training, torch.is_grad_enabled()))
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
    assert not torch.equal(before, model[0].weight)  # the SGD steps changed the weights
    assert all(torch.equal(g, grads[0]) for g in grads)  # inference leaves them alone
