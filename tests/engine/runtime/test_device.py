"""The device settings resolved per device: the device itself, mixed precision,
channels-last weights, GPU utilisation, loader options (the CUDA cases through a device
object or a stub of the CUDA query: nothing here needs a GPU)."""

from __future__ import annotations

import contextlib

import pytest
import torch
from torch import nn

from detseg.data.loader import build_loader
from detseg.data.loader_workers import seed_worker, worker_options
from detseg.engine.runtime import device as device_module
from detseg.engine.runtime.device import (
    autocast_context,
    build_grad_scaler,
    gpu_utilization,
    resolve_amp,
    resolve_channels_last,
    resolve_device,
    to_channels_last,
    unused_amp_note,
)

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


@pytest.mark.parametrize("amp", ["auto", "none", "bf16", "fp16"])
def test_every_amp_setting_is_float32_on_the_cpu(amp):
    assert resolve_amp(amp, CPU) == "none"
    assert isinstance(autocast_context(CPU, amp), contextlib.nullcontext)
    assert not build_grad_scaler(CPU, amp).is_enabled()


@pytest.mark.parametrize(("native_bf16", "expected"), [(True, "bf16"), (False, "fp16")])
def test_amp_auto_on_cuda_is_bf16_where_the_gpu_has_it_else_fp16(
    monkeypatch, native_bf16, expected
):
    asked = {}

    def is_bf16_supported(including_emulation=True):
        asked["emulation"] = including_emulation
        return native_bf16

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)
    monkeypatch.setattr(torch.cuda, "device", lambda device: contextlib.nullcontext())
    assert resolve_amp("auto", CUDA) == expected
    assert asked["emulation"] is False  # an emulated bf16 is slow: fp16 then
    assert (resolve_amp("none", CUDA), resolve_amp("fp16", CUDA)) == ("none", "fp16")
    assert resolve_amp("bf16", CUDA) == "bf16"


def test_an_unknown_amp_is_an_error():
    with pytest.raises(ValueError, match="train.amp must be auto, none, bf16 or fp16"):
        resolve_amp("fp8", CPU)


def test_channels_last_auto_is_on_for_cuda_only():
    assert resolve_channels_last("auto", CUDA) is True
    assert resolve_channels_last("auto", CPU) is False
    assert resolve_channels_last(True, CPU) is True
    assert resolve_channels_last(False, CUDA) is False
    with pytest.raises(ValueError, match="train.channels_last"):
        resolve_channels_last("yes", CPU)


def _convnet() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.Conv2d(4, 2, 1))


def test_channels_last_weights_compute_the_same_and_keep_their_state_dict():
    torch.manual_seed(0)
    model = _convnet().eval()
    x = torch.rand(2, 3, 8, 8)
    expected = model(x)
    to_channels_last(model)
    weight = model[0].weight
    assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
    assert model(x).is_contiguous(memory_format=torch.channels_last)  # NCHW input, NHWC output
    torch.testing.assert_close(model(x), expected)
    plain = _convnet().eval()
    plain.load_state_dict(model.state_dict())  # same keys and shapes both ways
    assert plain[0].weight.is_contiguous()
    torch.testing.assert_close(plain(x), expected)
    model.load_state_dict(plain.state_dict())
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)  # loading keeps it


def test_gpu_utilization_is_none_off_cuda():
    assert gpu_utilization(CPU) is None


def test_gpu_utilization_without_pynvml_logs_nothing_and_gives_up(monkeypatch):
    calls = []

    def utilization(device=None):
        calls.append(device)
        raise ModuleNotFoundError("nvidia-ml-py does not seem to be installed")

    monkeypatch.setattr(torch.cuda, "utilization", utilization)
    monkeypatch.setattr(device_module, "_utilization_unavailable", False)
    assert gpu_utilization(CUDA) is None
    assert gpu_utilization(CUDA) is None
    assert len(calls) == 1  # not asked again


def test_loader_options_pin_memory_for_cuda_only_and_keep_workers():
    assert worker_options(0, "cpu") == {
        "num_workers": 0,
        "pin_memory": False,
        "persistent_workers": False,
        "worker_init_fn": None,
    }
    assert worker_options(0, CUDA)["pin_memory"] is True
    with_workers = worker_options(2, torch.device("cuda:1"), prefetch_factor=4)
    assert with_workers == {
        "num_workers": 2,
        "pin_memory": True,
        "persistent_workers": True,
        "worker_init_fn": seed_worker,
        "prefetch_factor": 4,
    }
    assert worker_options(2, "cpu")["pin_memory"] is False
    assert worker_options(1, "cpu")["prefetch_factor"] == 2
    with pytest.raises(ValueError, match="prefetch_factor must be >= 1"):
        worker_options(1, "cpu", prefetch_factor=0)
    with pytest.raises(ValueError, match="num_workers must be >= 0"):
        worker_options(-1, "cpu")


def test_a_cpu_loader_does_not_pin_and_leaves_the_global_generator_alone():
    loader = build_loader(list(range(4)), batch_size=2, shuffle=True, collate_fn=list)
    assert not loader.pin_memory and not loader.persistent_workers
    state = torch.get_rng_state()
    assert sorted(i for batch in loader for i in batch) == [0, 1, 2, 3]
    assert torch.equal(torch.get_rng_state(), state)  # the model's random draws are its own


def _no_gpu(monkeypatch, built_mps: bool = False, mps: bool = False) -> None:
    """This machine as seen by torch: no CUDA, MPS built / available as asked."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_built", lambda: built_mps)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


def test_cpu_and_auto_resolve_without_a_gpu(monkeypatch):
    _no_gpu(monkeypatch)
    assert resolve_device("auto") == CPU and resolve_device("cpu") == CPU


@pytest.mark.parametrize(
    ("name", "built_mps", "message"),
    [
        ("foo", False, "device 'foo' is not valid; use auto, cpu, cuda or cuda:N"),
        ("cuda", False, "device 'cuda' asked for, but CUDA is not available; use cpu or auto"),
        ("cuda:1", False, "CUDA is not available"),
        ("mps", False, "this PyTorch is not built with MPS support (Apple GPUs); use cpu or"),
        ("mps", True, "device 'mps' asked for, but MPS is not available on this machine"),
        ("xla", False, "this PyTorch cannot use 'xla' devices; use auto, cpu, cuda or cuda:N"),
    ],
)
def test_a_device_this_machine_cannot_use_is_a_clear_error(monkeypatch, name, built_mps, message):
    _no_gpu(monkeypatch, built_mps=built_mps)
    with pytest.raises(ValueError) as error:
        resolve_device(name)
    assert message in str(error.value)


def test_an_available_mps_device_resolves(monkeypatch):
    _no_gpu(monkeypatch, built_mps=True, mps=True)
    assert resolve_device("mps") == torch.device("mps")


def test_a_gpu_index_past_the_visible_gpus_is_an_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    assert resolve_device("cuda") == CUDA
    with pytest.raises(ValueError, match=r"only 2 GPU\(s\) are visible; use cuda:0 to cuda:1"):
        resolve_device("cuda:2")


@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_mixed_precision_asked_off_cuda_is_said_to_do_nothing(amp):
    note = unused_amp_note(amp, torch.device("cpu"))
    assert note is not None and note.startswith(f"train.amp={amp} has no effect on cpu")
    assert unused_amp_note(amp, torch.device("cuda")) is None  # no GPU needed to decide


@pytest.mark.parametrize("amp", ["auto", "none"])
def test_auto_and_none_need_no_note(amp):
    assert unused_amp_note(amp, torch.device("cpu")) is None
