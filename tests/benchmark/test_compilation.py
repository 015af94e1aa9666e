"""torch.compile applied to both models of a comparison alike (tools/benchmark.py model --compile).

The ``eager`` backend traces with dynamo without generating code, so these tests stay fast and
need no C++ compiler; timing values are not asserted (only that they are positive).
"""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

import detseg.benchmark.comparison as comparison
from detseg.benchmark.compilation import COMPILE_WARMUP, compile_models
from detseg.benchmark.model_vs_torchvision import benchmark_model, format_model_report
from detseg.benchmark.segmentation_vs_torchvision import torchvision_calls
from detseg.benchmark.throughput import measure_interleaved


class Toy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def toy_calls(model: Toy, x: torch.Tensor):
    return (model, lambda: {"loss": model(x).pow(2).mean()}, lambda: model(x))


def test_backbone_mode_compiles_the_backbone_in_place():
    torch.manual_seed(0)
    model, x = Toy(), torch.rand(3, 4)
    keys, want = list(model.state_dict()), model(x)
    calls = {"toy": toy_calls(model, x)}
    assert compile_models(calls, "backbone", backend="eager") is calls  # same calls
    assert model.backbone._compiled_call_impl is not None  # compiled in place
    assert model.head._compiled_call_impl is None  # the rest stays eager
    assert list(model.state_dict()) == keys  # no "_orig_mod." prefixes
    torch.testing.assert_close(calls["toy"][2](), want, rtol=0, atol=0)


def test_all_mode_compiles_the_timed_calls_and_none_leaves_them():
    torch.manual_seed(0)
    model, x = Toy(), torch.rand(3, 4)
    calls = {"toy": toy_calls(model, x)}
    assert compile_models(calls, "none") is calls
    compiled = compile_models(calls, "all", backend="eager")["toy"]
    assert compiled[0] is model and compiled[1] is not calls["toy"][1]
    assert model.backbone._compiled_call_impl is None
    torch.testing.assert_close(compiled[2](), calls["toy"][2](), rtol=0, atol=0)
    torch.testing.assert_close(compiled[1]()["loss"], calls["toy"][1]()["loss"], rtol=0, atol=0)


def test_bad_modes_and_models_are_rejected():
    calls = {"flat": (nn.Linear(2, 2), lambda: {}, lambda: None)}
    with pytest.raises(ValueError, match="unknown compile mode 'fast'"):
        compile_models(calls, "fast")
    with pytest.raises(ValueError, match="flat model has no backbone"):
        compile_models(calls, "backbone", backend="eager")
    with pytest.raises(ValueError, match="unknown compile mode"):
        benchmark_model("lraspp_mobilenet_v3_large", size=64, batch=1, repeats=1, compile_mode="x")


def test_warmup_calls_are_timed_apart_and_their_excess_is_the_compile_time():
    slow_first = iter([0.05, 0.0, 0.0, 0.0])

    def call():
        time.sleep(next(slow_first))

    result = measure_interleaved({"m": call}, 1, torch.device("cpu"), repeats=2, warmup=2)["m"]
    assert len(result.warmup_seconds) == 2 and len(result.seconds_per_call) == 2
    assert result.warmup_excess_s >= 0.04  # the slow first call, beyond the steady state
    assert result.warmup_excess_s <= sum(result.warmup_seconds)


def test_compiled_backbones_give_a_ratio_and_the_same_outputs(monkeypatch):
    seen = {}
    original = comparison.compile_models

    def spy(models, mode, backend="inductor"):
        seen.update(models)
        return original(models, mode, backend)

    monkeypatch.setattr(comparison, "compile_models", spy)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = benchmark_model(
            "lraspp_mobilenet_v3_large",
            size=64,
            batch=1,
            repeats=1,
            compile_mode="backbone",
            compile_backend="eager",
        )
        # after the timings both compiled backbones still compute the same logits (eval mode),
        # on the thread count they were compiled for (dynamo guards on it: no recompile)
        twin, ours = seen["torchvision"][0], seen["detseg"][0]
        images, masks = torch.rand(1, 3, 64, 64), torch.zeros(1, 64, 64, dtype=torch.long)
        tv_logits, _ = torchvision_calls(twin, images, masks)
        with torch.no_grad():
            have, want = ours(images), tv_logits()
    finally:
        torch.set_num_threads(threads)
    assert (result.compile_mode, result.compile_backend) == ("backbone", "eager")
    assert result.train_ratio > 0 and result.infer_ratio > 0
    assert result.logits_agree and result.losses_agree
    assert set(result.compile_seconds) == {"torchvision", "detseg"}
    assert all(s >= 0 for kinds in result.compile_seconds.values() for s in kinds.values())
    lines = format_model_report(result)
    assert lines[0].endswith("contiguous weights, torch.compile backbone (eager)")
    assert lines[4].startswith("compile time (warm-up calls beyond steady state): torchvision")
    assert COMPILE_WARMUP > 1
    assert twin.backbone._compiled_call_impl is not None
    assert ours.backbone._compiled_call_impl is not None
    torch.testing.assert_close(have, want, rtol=1e-4, atol=1e-5)
