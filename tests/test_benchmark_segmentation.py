"""``tools/benchmark.py model <segmentation arch>``: detseg vs its torchvision twin.

The benchmark must compare the same computation (logits and losses agree) and measure both
models; timing values are not asserted (only that they are positive). 64 px, batch 1, 1 thread.
The ``--amp`` / ``--channels-last`` / ``--profile`` flags are run here for one detection arch too.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def load_tool(name: str, monkeypatch) -> object:
    """The module of tools/<name>.py, loaded in this process."""
    spec = importlib.util.spec_from_file_location(f"detseg_tool_{name}", TOOLS / name)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize(
    ("arch", "aux_loss"), [("lraspp_mobilenet_v3_large", False), ("fcn_resnet50", True)]
)
def test_segmentation_benchmark_compares_the_same_model(arch, aux_loss, monkeypatch, one_thread):
    segmentation = load_tool("benchmark_segmentation.py", monkeypatch)
    result = segmentation.benchmark_segmentation(
        arch, size=64, batch=1, repeats=1, aux_loss=aux_loss, seed=0
    )
    assert result.logits_agree and result.losses_agree
    assert result.max_abs_logit > 1e-3  # real logits, not all zeros
    assert result.max_abs_diff <= 1e-4 * result.max_abs_logit
    assert (result.threads, result.batch, result.size, result.aux_loss) == (1, 1, 64, aux_loss)
    for numbers in (result.train_images_per_s, result.infer_images_per_s):
        assert set(numbers) == {"torchvision", "detseg"}
        assert all(value > 0 for value in numbers.values())
    assert result.train_ratio > 0 and result.infer_ratio > 0


def test_torchvision_loss_is_cross_entropy_plus_half_aux(monkeypatch):
    """The torchvision side's loss, by hand: CE(out) + 0.5 CE(aux), pixels at 255 ignored."""
    segmentation = load_tool("benchmark_segmentation.py", monkeypatch)

    class TwoHeads(torch.nn.Module):
        def forward(self, x):
            return {"out": x[:, :2] * 0, "aux": x[:, 1:3] * 0}

    images, masks = torch.rand(1, 3, 2, 2), torch.tensor([[[0, 1], [255, 255]]])
    _, losses = segmentation.torchvision_calls(TwoHeads(), images, masks)
    values = losses()
    # all-zero logits over 2 classes: CE = log 2 per counted pixel, whatever the label
    log2 = torch.tensor(2.0).log()
    torch.testing.assert_close(values["loss_seg"], log2)
    torch.testing.assert_close(values["loss_aux"], 0.5 * log2)


def test_cli_prints_agreement_and_rejects_bad_combinations(monkeypatch, capsys, one_thread):
    benchmark = load_tool("benchmark.py", monkeypatch)
    args = ["model", "lraspp_mobilenet_v3_large", "--size", "64", "--batch", "1"]
    assert benchmark.main([*args, "--repeats", "1", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "logits agree: True" in out and "losses agree: True" in out
    assert "ratio detseg / torchvision" in out
    assert benchmark.main([*args, "--aux-loss"]) == 2  # LR-ASPP has no aux head
    assert benchmark.main(["model", "deeplabv3_mobilenet_v3_large", "--batch", "1"]) == 2
    assert benchmark.main(["model", "ssd300_vgg16", "--aux-loss"]) == 2
    assert "no auxiliary head" in capsys.readouterr().err


PROFILED = ("torchvision training step", "torchvision inference")
PROFILED += ("detseg training step", "detseg inference")


def assert_profiled_on_cpu(out: str) -> None:
    """Each model's training step and inference were profiled, with CPU-time top ops."""
    assert "profile: 3 calls of each kind" in out
    for title in PROFILED:
        assert f"{title}: kernel launches n/a (cpu), host-device syncs n/a (cpu) per call" in out
    assert out.count("op (top 10 by self CPU time)") == 4
    assert "aten::" in out  # real op names in the top lists


@pytest.mark.parametrize(
    "arch", ["lraspp_mobilenet_v3_large", "fasterrcnn_mobilenet_v3_large_320_fpn"]
)
def test_cli_amp_channels_last_and_profile_run_on_cpu(arch, monkeypatch, capsys, one_thread):
    benchmark = load_tool("benchmark.py", monkeypatch)
    args = ["model", arch, "--size", "64", "--batch", "1", "--repeats", "1", "--threads", "1"]
    flags = ["--amp", "bf16", "--channels-last", "--profile"]
    assert benchmark.main([*args, *flags]) == 0
    out = capsys.readouterr().out
    assert "timed repetitions, amp bf16, channels_last weights" in out.splitlines()[0]
    assert "ratio detseg / torchvision" in out
    if arch.startswith("lraspp"):
        assert "logits agree: True" in out and "losses agree: True" in out  # float32 check
    assert_profiled_on_cpu(out)


def test_segmentation_benchmark_keeps_amp_and_memory_format(monkeypatch, one_thread):
    segmentation = load_tool("benchmark_segmentation.py", monkeypatch)
    result = segmentation.benchmark_segmentation(
        "lraspp_mobilenet_v3_large", size=64, batch=1, repeats=1, amp="bf16", channels_last=True
    )
    assert (result.amp, result.channels_last, result.profiles) == ("bf16", True, None)
    assert result.logits_agree and result.losses_agree
    assert all(value > 0 for value in result.train_images_per_s.values())


def test_cli_flags_default_to_float32_contiguous_without_profile(monkeypatch):
    benchmark = load_tool("benchmark.py", monkeypatch)
    args = benchmark.build_parser().parse_args(["model", "lraspp_mobilenet_v3_large"])
    assert (args.amp, args.channels_last, args.profile) == ("none", False, False)
    args = benchmark.build_parser().parse_args(["model", "ssd300_vgg16", "--amp", "fp16"])
    assert args.amp == "fp16"
    with pytest.raises(SystemExit):
        benchmark.build_parser().parse_args(["model", "ssd300_vgg16", "--amp", "fp32"])
