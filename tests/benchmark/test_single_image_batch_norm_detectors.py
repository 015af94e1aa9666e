"""benchmark_model when one image leaves BatchNorm one value per channel in a detector: a
detector that resizes its images to ``--size`` (Faster R-CNN, RetinaNet, Mask R-CNN) is also
helped by a larger ``--size``; an SSD (fixed input size) only by a larger ``--batch``."""

from __future__ import annotations

import pytest
import torch

from detseg.benchmark import model_vs_torchvision
from detseg.benchmark.twins import detection_twins


def _batch_norm_failure(*args, **kwargs):
    raise ValueError("Expected more than 1 value per channel when training, got input size x")


@pytest.mark.parametrize(
    "arch", ["fasterrcnn_mobilenet_v3_large_320_fpn", "retinanet_resnet50_fpn"]
)
def test_a_detector_resized_to_size_is_told_of_a_larger_size(monkeypatch, arch) -> None:
    monkeypatch.setattr(model_vs_torchvision, "benchmark_detection", _batch_norm_failure)
    with pytest.raises(ValueError, match="--batch 2 or more, or a larger --size$"):
        model_vs_torchvision.benchmark_model(arch, size=16, batch=1, repeats=1)


def test_the_twin_takes_size_as_its_resize() -> None:
    """What makes a larger --size help: the twin's transform resizes to it."""
    arch = "fasterrcnn_mobilenet_v3_large_320_fpn"
    twin, _ = detection_twins(arch, 48, torch.device("cpu"))
    assert twin.transform.min_size == (48,) and twin.transform.max_size == 48
