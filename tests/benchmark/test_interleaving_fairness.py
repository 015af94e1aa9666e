"""The side-by-side timing is fair: the call order turns every round, the training steps of one
round draw the same random numbers, and inference is timed on the weights the models had before
their SGD steps."""

from __future__ import annotations

import torch
from torch import nn

from detseg.benchmark.throughput import measure_interleaved, measure_models

CPU = torch.device("cpu")


def test_the_order_turns_every_round():
    order: list[str] = []
    calls = {name: (lambda name=name: order.append(name)) for name in ("a", "b")}
    measure_interleaved(calls, 1, CPU, repeats=3, warmup=1, progress=False)
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"]


def test_reseeded_calls_of_a_round_draw_the_same_numbers():
    drawn: dict[str, list[float]] = {"a": [], "b": []}
    calls = {name: (lambda name=name: drawn[name].append(float(torch.rand(1)))) for name in drawn}
    measure_interleaved(calls, 1, CPU, repeats=2, warmup=1, progress=False, reseed=True)
    assert drawn["a"] == drawn["b"]
    assert len(set(drawn["a"])) == 3  # another draw each round


class _DropoutNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(8, 4)
        self.dropout = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(x))


def test_inference_is_timed_on_the_weights_before_training():
    torch.manual_seed(0)
    first = _DropoutNet()
    second = _DropoutNet()
    second.load_state_dict(first.state_dict())
    x = torch.rand(2, 8)
    before = {
        name: model.state_dict()["linear.weight"].clone()
        for name, model in (("a", first), ("b", second))
    }
    seen: dict[str, list[torch.Tensor]] = {"a": [], "b": []}

    def entry(name, model):
        def infer():
            seen[name].append(model.linear.weight.detach().clone())
            return model(x)

        return (model, lambda: {"loss": model(x).pow(2).mean()}, infer)

    measure_models({"a": entry("a", first), "b": entry("b", second)}, 2, CPU, repeats=2)
    assert len(seen["a"]) == len(seen["b"]) == 3  # the warm-up and 2 timed calls
    for name in ("a", "b"):
        assert all(torch.equal(w, before[name]) for w in seen[name])
