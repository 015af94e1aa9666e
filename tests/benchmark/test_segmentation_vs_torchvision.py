"""A segmenter beside its torchvision twin: the two compute the same thing, both are timed.

The benchmark must compare the same computation (logits and losses agree) and measure both
models; timing values are not asserted (only that they are positive). 64 px, batch 1, 1 thread.
"""

from __future__ import annotations

import pytest
import torch

from detseg.benchmark.segmentation_vs_torchvision import (
    benchmark_segmentation,
    check_arguments,
    format_segmentation_report,
    torchvision_calls,
)


@pytest.mark.parametrize(
    ("arch", "aux_loss"), [("lraspp_mobilenet_v3_large", False), ("fcn_resnet50", True)]
)
def test_segmentation_benchmark_compares_the_same_model(arch, aux_loss, one_thread):
    result = benchmark_segmentation(arch, size=64, batch=1, repeats=1, aux_loss=aux_loss, seed=0)
    assert result.logits_agree and result.losses_agree
    assert result.max_abs_logit > 1e-3  # real logits, not all zeros
    assert result.max_abs_diff <= 1e-4 * result.max_abs_logit
    assert (result.threads, result.batch, result.size, result.aux_loss) == (1, 1, 64, aux_loss)
    for numbers in (result.train_images_per_s, result.infer_images_per_s):
        assert set(numbers) == {"torchvision", "detseg"}
        assert all(value > 0 for value in numbers.values())
    assert result.train_ratio > 0 and result.infer_ratio > 0
    lines = format_segmentation_report(result)
    aux = " with aux head" if aux_loss else ""
    assert lines[0].startswith(f"{arch}{aux}: batch 1 x 64 px on cpu (1 thread)")
    assert lines[0].endswith("amp none, contiguous weights")
    assert lines[3].startswith("ratio detseg / torchvision")
    assert lines[4].startswith("logits agree: True") and lines[5].startswith("losses agree: True")
    if aux_loss:  # the inference ratio includes torchvision's aux head: said
        assert lines[6].startswith("inference: torchvision also runs its auxiliary head")
    assert len(lines) == 6 + aux_loss  # not profiled


def test_torchvision_loss_is_cross_entropy_plus_half_aux():
    """The torchvision side's loss, by hand: CE(out) + 0.5 CE(aux), pixels at 255 ignored."""

    class TwoHeads(torch.nn.Module):
        def forward(self, x):
            return {"out": x[:, :2] * 0, "aux": x[:, 1:3] * 0}

    images, masks = torch.rand(1, 3, 2, 2), torch.tensor([[[0, 1], [255, 255]]])
    _, losses = torchvision_calls(TwoHeads(), images, masks)
    values = losses()
    # all-zero logits over 2 classes: CE = log 2 per counted pixel, whatever the label
    log2 = torch.tensor(2.0).log()
    torch.testing.assert_close(values["loss_seg"], log2)
    torch.testing.assert_close(values["loss_aux"], 0.5 * log2)


def test_bad_combinations_are_rejected():
    with pytest.raises(ValueError, match="no auxiliary head"):
        check_arguments("lraspp_mobilenet_v3_large", 2, aux_loss=True)
    with pytest.raises(ValueError, match="cannot train on batch 1"):
        check_arguments("deeplabv3_mobilenet_v3_large", 1, aux_loss=False)
    with pytest.raises(ValueError, match="unknown segmentation architecture"):
        check_arguments("ssd300_vgg16", 2, aux_loss=False)
    with pytest.raises(ValueError, match="no auxiliary head"):
        benchmark_segmentation("lraspp_mobilenet_v3_large", aux_loss=True)
    check_arguments("deeplabv3_mobilenet_v3_large", 2, aux_loss=True)  # a valid one passes


def test_segmentation_benchmark_keeps_amp_and_memory_format(one_thread):
    result = benchmark_segmentation(
        "lraspp_mobilenet_v3_large", size=64, batch=1, repeats=1, amp="bf16", channels_last=True
    )
    assert (result.amp, result.channels_last, result.profiles) == ("bf16", True, None)
    assert result.logits_agree and result.losses_agree
    assert all(value > 0 for value in result.train_images_per_s.values())
    assert "amp bf16, channels_last weights" in format_segmentation_report(result)[0]
