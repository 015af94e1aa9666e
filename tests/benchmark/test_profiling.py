"""Profiles of steady-state calls (tools/benchmark.py model --profile)."""

import pytest
import torch
from torch import nn

from detseg.benchmark.profiling import format_profile, format_profiles, profile_call, profile_models


def test_profile_call_on_cpu_ranks_real_ops_and_has_no_cuda_counts():
    model, x = nn.Linear(16, 8), torch.rand(4, 16)
    calls = []

    def call():
        calls.append(1)
        return model(x)

    with torch.no_grad():
        result = profile_call(call, torch.device("cpu"), calls=2, top=5)
    assert len(calls) == 3  # one warm-up call, then the 2 profiled
    assert (result.calls, result.device_type, result.time_kind) == (2, "cpu", "CPU")
    assert result.launches_per_call is None and result.syncs_per_call is None
    names = [op.name for op in result.top_ops]
    assert "aten::addmm" in names  # nn.Linear's matrix multiply
    assert 1 <= len(names) <= 5
    shares = [op.share for op in result.top_ops]
    assert shares == sorted(shares, reverse=True)
    assert all(op.ms_per_call > 0 and 0 < op.share <= 1 for op in result.top_ops)
    assert sum(shares) <= 1 + 1e-6
    lines = format_profile(result, "linear inference")
    assert lines[0].startswith("linear inference: kernel launches n/a (cpu)")
    assert "host-device syncs n/a (cpu)" in lines[0]
    assert any(line.endswith("aten::addmm") and "%" in line for line in lines[2:])


def test_profile_models_profiles_training_steps_and_inference_apart():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 4), nn.Dropout(0.5))
    x = torch.rand(3, 8)
    seen = []

    def train_fn():
        seen.append(
            ("train", model.training, torch.is_grad_enabled(), torch.is_autocast_enabled("cpu"))
        )
        return {"loss": model(x).float().pow(2).mean()}

    def infer_fn():
        seen.append(
            ("infer", model.training, torch.is_grad_enabled(), torch.is_autocast_enabled("cpu"))
        )
        return model(x)

    before = model[0].weight.clone()
    profiles = profile_models(
        {"m": (model, train_fn, infer_fn)},
        torch.device("cpu"),
        torch.bfloat16,
        calls=2,
        top=1000,  # every op: the tiny matmul's rank by time is noise on a busy machine
    )
    assert set(profiles) == {"m"} and set(profiles["m"]) == {"train", "infer"}
    assert set(seen) == {("train", True, True, True), ("infer", False, False, True)}
    assert len(seen) == 6  # (1 warm-up + 2 profiled) calls of each kind
    assert not torch.equal(before, model[0].weight)  # the training steps are SGD steps
    for profile in profiles["m"].values():
        assert any(op.name == "aten::addmm" for op in profile.top_ops)
    lines = format_profiles(profiles)
    assert lines[0].startswith("profile: 2 calls of each kind")
    assert any(line.startswith("m training step:") for line in lines)
    assert any(line.startswith("m inference:") for line in lines)


@pytest.mark.cuda
def test_profile_call_on_cuda_counts_launches_and_syncs():
    device = torch.device("cuda")
    model, x = nn.Linear(16, 8).to(device), torch.rand(4, 16, device=device)
    with torch.no_grad():
        profile_call(lambda: model(x).sum().item(), device, calls=2)  # one-time set-up syncs
        result = profile_call(lambda: model(x).sum().item(), device, calls=4)
        without_item = profile_call(lambda: model(x).sum(), device, calls=4)
    assert result.time_kind == "CUDA"
    assert result.launches_per_call >= 2  # the matrix multiply and the sum at least
    assert result.syncs_per_call - without_item.syncs_per_call == 1  # .item(), once a call
    assert torch.cuda.get_sync_debug_mode() == 0  # restored
    assert any("addmm" in op.name or "mm" in op.name for op in result.top_ops)
