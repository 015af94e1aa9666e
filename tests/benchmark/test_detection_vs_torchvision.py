"""A detector beside its torchvision twin: both timed, with autocast, channels_last, profiles.

Timing values are not asserted (only that they are positive). 64 px, batch 1, 1 thread.
"""

from __future__ import annotations

import pytest
import torch

from detseg.benchmark.comparison import format_comparison
from detseg.benchmark.detection_vs_torchvision import benchmark_detection
from detseg.benchmark.twins import DETECTION_TWINS, detection_twins

PROFILED = ("torchvision training step", "torchvision inference")
PROFILED += ("detseg training step", "detseg inference")


def assert_profiled_on_cpu(out: str) -> None:
    """Each model's training step and inference were profiled, with CPU-time top ops."""
    assert "profile: 3 calls of each kind" in out
    for title in PROFILED:
        assert f"{title}: kernel launches n/a (cpu), host-device syncs n/a (cpu) per call" in out
    assert out.count("op (top 10 by self CPU time)") == 4
    assert "aten::" in out  # real op names in the top lists


def test_detection_benchmark_with_amp_and_channels_last(one_thread):
    arch = "fasterrcnn_mobilenet_v3_large_320_fpn"
    result = benchmark_detection(arch, size=64, batch=1, repeats=1, amp="bf16", channels_last=True)
    assert (result.arch, result.threads, result.batch, result.size) == (arch, 1, 1, 64)
    assert (result.amp, result.channels_last) == ("bf16", True)
    for numbers in (result.train_images_per_s, result.infer_images_per_s):
        assert set(numbers) == {"torchvision", "detseg"}
        assert all(value > 0 for value in numbers.values())
    assert result.profiles is None
    lines = format_comparison(result)
    assert lines[0] == (
        f"{arch}: batch 1 x 64 px on cpu (1 thread), 1 timed repetition, amp bf16, "
        "channels_last weights"
    )
    assert lines[3].startswith("ratio detseg / torchvision")
    assert "profile:" not in "\n".join(lines)


def test_detection_benchmark_with_channels_last_and_profile(one_thread):
    # float32: bf16 convolutions on a CPU run torch's slow per-group kernels, whose millions of
    # profiler events take minutes to tabulate (about 4 min here for this 64 px model)
    arch = "fasterrcnn_mobilenet_v3_large_320_fpn"
    result = benchmark_detection(
        arch, size=64, batch=1, repeats=1, channels_last=True, profile=True
    )
    assert (result.amp, result.channels_last) == ("none", True)
    assert set(result.profiles) == {"torchvision", "detseg"}
    lines = format_comparison(result)
    assert lines[0].endswith("1 timed repetition, amp none, channels_last weights")
    assert_profiled_on_cpu("\n".join(lines))


def test_detection_twins_predict_alike_and_take_the_size():
    torch.manual_seed(0)
    twin, ours = detection_twins("fasterrcnn_mobilenet_v3_large_320_fpn", 96, torch.device("cpu"))
    assert twin.transform.min_size == (96,) and twin.transform.max_size == 96
    images = [torch.rand(3, 96, 96)]
    with torch.no_grad():
        want, have = twin.eval()(images), ours.eval().predict(images)
    torch.testing.assert_close(have[0]["scores"], want[0]["scores"], atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="unknown detection architecture"):
        detection_twins("fcn_resnet50", 96, torch.device("cpu"))
    assert "ssd300_vgg16" in DETECTION_TWINS


def test_mask_twins_return_full_detections_so_the_mask_branch_is_timed():
    """Random weights score every class about 1/91 < 0.05: the Mask R-CNN twins take score
    threshold 0, so inference returns 100 detections per image with masks, alike in both."""
    torch.manual_seed(0)
    twin, ours = detection_twins("maskrcnn_resnet50_fpn", 64, torch.device("cpu"))
    assert twin.roi_heads.score_thresh == 0.0
    images = [torch.rand(3, 64, 64)]
    with torch.no_grad():
        want, have = twin.eval()(images), ours.eval().predict(images)
    assert want[0]["masks"].shape == (100, 1, 64, 64)
    assert have[0]["masks"].shape == want[0]["masks"].shape
    torch.testing.assert_close(have[0]["masks"], want[0]["masks"], atol=1e-5, rtol=0)
