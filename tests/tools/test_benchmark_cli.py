"""``tools/benchmark.py``: its sub-commands print the comparisons and exit with their verdict.

64 px, batch 1, one timed repetition, 1 thread; timings are not asserted. The measurements
themselves are tested in tests/benchmark/.
"""

from __future__ import annotations

import pytest

FAST = ["--size", "64", "--batch", "1", "--repeats", "1", "--threads", "1"]


def output(result) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_model_segmentation_prints_agreement_with_default_flags(run_tool):
    out = output(run_tool("benchmark.py", "model", "lraspp_mobilenet_v3_large", *FAST))
    first = out.splitlines()[0]
    assert first.startswith("lraspp_mobilenet_v3_large: batch 1 x 64 px on cpu (1 threads)")
    assert first.endswith("1 timed repetitions, amp none, contiguous weights")
    assert "logits agree: True" in out and "losses agree: True" in out
    assert "ratio detseg / torchvision" in out and "profile:" not in out


def test_model_segmentation_with_amp_channels_last_and_profile(run_tool):
    flags = ["--amp", "bf16", "--channels-last", "--profile"]
    out = output(run_tool("benchmark.py", "model", "lraspp_mobilenet_v3_large", *FAST, *flags))
    assert "timed repetitions, amp bf16, channels_last weights" in out.splitlines()[0]
    assert "logits agree: True" in out and "losses agree: True" in out  # float32 check
    assert "profile: 3 calls of each kind" in out
    assert out.count("op (top 10 by self CPU time)") == 4


def test_model_detection_prints_both_throughputs(run_tool):
    arch = "fasterrcnn_mobilenet_v3_large_320_fpn"
    out = output(run_tool("benchmark.py", "model", arch, *FAST))
    assert out.splitlines()[0].startswith(f"{arch}: batch 1 x 64 px on cpu (1 threads)")
    assert " torchvision: train" in out and "      detseg: train" in out
    assert "ratio detseg / torchvision" in out and "agree" not in out


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
    assert lines[1].strip().startswith("faster:") and lines[2].strip().startswith("pycocotools:")
    assert lines[3].startswith("speed-up faster / pycocotools")
    assert lines[4].startswith("numbers agree: True")
