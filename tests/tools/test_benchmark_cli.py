"""``tools/benchmark.py``: its sub-commands print the comparisons and exit with their verdict.

64 px, batch 1, one timed repetition, 1 thread; timings are not asserted. The measurements
themselves are tested in tests/benchmark/.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

FAST = ["--size", "64", "--batch", "1", "--repeats", "1", "--threads", "1"]


def output(result) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_model_segmentation_prints_agreement_with_default_flags(run_tool):
    out = output(run_tool("benchmark.py", "model", "lraspp_mobilenet_v3_large", *FAST))
    first = out.splitlines()[0]
    assert first.startswith("lraspp_mobilenet_v3_large: batch 1 x 64 px on cpu (1 thread)")
    assert first.endswith("1 timed repetition, amp none, contiguous weights")
    assert "logits agree: True" in out and "losses agree: True" in out
    assert "ratio detseg / torchvision" in out and "profile:" not in out


def test_model_segmentation_with_amp_and_channels_last(run_tool):
    flags = ["--amp", "bf16", "--channels-last"]
    out = output(run_tool("benchmark.py", "model", "lraspp_mobilenet_v3_large", *FAST, *flags))
    assert "1 timed repetition, amp bf16, channels_last weights" in out.splitlines()[0]
    assert "logits agree: True" in out and "losses agree: True" in out  # float32 check
    assert "profile:" not in out


def test_model_segmentation_with_channels_last_and_profile(run_tool):
    # float32: bf16 convolutions on a CPU run torch's slow per-group kernels, whose millions of
    # profiler events take minutes to tabulate (about 2.5 min here for this 64 px model)
    flags = ["--channels-last", "--profile"]
    out = output(run_tool("benchmark.py", "model", "lraspp_mobilenet_v3_large", *FAST, *flags))
    assert "1 timed repetition, amp none, channels_last weights" in out.splitlines()[0]
    assert "profile: 3 calls of each kind" in out
    assert out.count("op (top 10 by self CPU time)") == 4


def test_model_detection_prints_both_throughputs(run_tool):
    arch = "fasterrcnn_mobilenet_v3_large_320_fpn"
    out = output(run_tool("benchmark.py", "model", arch, *FAST))
    assert out.splitlines()[0].startswith(f"{arch}: batch 1 x 64 px on cpu (1 thread)")
    assert " torchvision: train" in out and "      detseg: train" in out
    assert "ratio detseg / torchvision" in out
    assert "same detections: True (eval mode, float32; 100 detections per image)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lraspp_mobilenet_v3_large", "--aux-loss"], "no auxiliary head"),
        (["deeplabv3_mobilenet_v3_large", "--batch", "1"], "cannot train on batch 1"),
        (["ssd300_vgg16", "--aux-loss"], "--aux-loss is for segmentation archs"),
        (["ssd300_vgg16", "--amp", "fp32"], "invalid choice: 'fp32'"),
    ],
)
def test_model_rejects_bad_combinations(argv, message, run_tool):
    result = run_tool("benchmark.py", "model", *argv)
    assert result.returncode == 2 and message in result.stderr


def test_postprocess_prints_same_detections(run_tool):
    argv = ["postprocess", "ssdlite320_mobilenet_v3_large", "--batch", "1", "--repeats", "1"]
    out = output(run_tool("benchmark.py", *argv, "--threads", "1"))
    assert "same detections: True" in out and "post-processing share" in out


def test_eval_prints_both_backends_and_their_agreement(run_tool):
    argv = ["eval", "--images", "20", "--dets-per-image", "8", "--num-classes", "3"]
    lines = output(run_tool("benchmark.py", *argv)).splitlines()
    assert lines[0].startswith("synthetic COCO (bbox): 20 images,")
    assert lines[1].strip().startswith("faster-coco-eval:")
    assert lines[2].strip().startswith("pycocotools:")
    assert lines[3].startswith("speed-up of faster-coco-eval over pycocotools: ")
    assert lines[4].startswith("numbers agree: True")


def load_tool(name: str):
    """The module of ``tools/<name>.py``, imported in this process (its parser is fast to
    test without starting a subprocess per case)."""
    path = Path(__file__).resolve().parents[2] / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"tool_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def benchmark_tool():
    return load_tool("benchmark")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["model", "ssdlite320_mobilenet_v3_large", "--size", "-1"],
            "--size: must be >= 1, got -1",
        ),
        (
            ["model", "ssdlite320_mobilenet_v3_large", "--batch", "0"],
            "--batch: must be >= 1, got 0",
        ),
        (["model", "ssd300_vgg16", "--repeats", "0"], "--repeats: must be >= 1, got 0"),
        (["model", "ssd300_vgg16", "--threads", "-1"], "--threads: must be >= 0, got -1"),
        (["model", "ssd300_vgg16", "--seed", "-2"], "--seed: must be >= 0, got -2"),
        (["model", "ssd300_vgg16", "--batch", "two"], "--batch: must be an integer, got 'two'"),
        (["postprocess", "ssd300_vgg16", "--repeats", "0"], "--repeats: must be >= 1, got 0"),
        (["postprocess", "ssd300_vgg16", "--batch", "0"], "--batch: must be >= 1, got 0"),
        (["postprocess", "ssd300_vgg16", "--threads", "-1"], "--threads: must be >= 0, got -1"),
        (["eval", "--images", "0"], "--images: must be >= 1, got 0"),
        (["eval", "--dets-per-image", "-1"], "--dets-per-image: must be >= 0, got -1"),
        (["eval", "--num-classes", "0"], "--num-classes: must be >= 1, got 0"),
        (["eval", "--seed", "-1"], "--seed: must be >= 0, got -1"),
        (["suite", "--repeats", "0"], "--repeats: must be >= 1, got 0"),
        (["suite", "--seed", "-1"], "--seed: must be >= 0, got -1"),
        (["suite", "--device", "foo"], "device 'foo' is not valid; use auto, cpu, cuda or"),
    ],
)
def test_numeric_flags_out_of_range_are_argument_errors(benchmark_tool, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        benchmark_tool.build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_numeric_flags_at_their_minimum_are_accepted(benchmark_tool):
    parser = benchmark_tool.build_parser()
    args = parser.parse_args(["eval", "--images", "1", "--dets-per-image", "0", "--seed", "0"])
    assert (args.images, args.dets_per_image, args.num_classes) == (1, 0, 80)
    args = parser.parse_args(["model", "ssd300_vgg16", "--size", "1", "--batch", "1"])
    assert (args.size, args.batch, args.repeats, args.threads, args.device) == (1, 1, 5, 0, "cpu")


def test_bad_flag_and_unusable_device_are_one_line_without_traceback(run_tool):
    result = run_tool("benchmark.py", "model", "ssdlite320_mobilenet_v3_large", "--batch", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].endswith("argument --batch: must be >= 1, got 0")
    if not torch.backends.mps.is_available():
        result = run_tool("benchmark.py", "postprocess", "ssd300_vgg16", "--device", "mps")
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "argument --device: device 'mps' asked for, but" in result.stderr
