"""benchmark_model when a training batch leaves BatchNorm one value per channel (one image with
a 1x1 feature map): one line saying which flags to change."""

from __future__ import annotations

import pytest

from detseg.benchmark import model_vs_torchvision

_TORCH_MESSAGE = (
    "Expected more than 1 value per channel when training, got input size torch.Size([1, 72, 1, 1])"
)


def _batch_norm_failure(*args, **kwargs):
    raise ValueError(_TORCH_MESSAGE)


@pytest.mark.parametrize(
    ("arch", "builder", "hint"),
    [
        ("lraspp_mobilenet_v3_large", "benchmark_segmentation", "--batch 2 or more, or a larger"),
        ("ssdlite320_mobilenet_v3_large", "benchmark_detection", "--batch 2 or more$"),
    ],
)
def test_the_error_names_the_flags_to_change(monkeypatch, arch, builder, hint) -> None:
    monkeypatch.setattr(model_vs_torchvision, builder, _batch_norm_failure)
    with pytest.raises(ValueError, match=hint) as raised:
        model_vs_torchvision.benchmark_model(arch, size=64, batch=1, repeats=1)
    assert str(raised.value).startswith(f"{arch} with --batch 1 --size 64: a BatchNorm layer")


def test_other_errors_pass_unchanged(monkeypatch) -> None:
    def failure(*args, **kwargs):
        raise ValueError("something else")

    monkeypatch.setattr(model_vs_torchvision, "benchmark_segmentation", failure)
    with pytest.raises(ValueError, match="^something else$"):
        model_vs_torchvision.benchmark_model("fcn_resnet50", size=64, batch=1, repeats=1)
