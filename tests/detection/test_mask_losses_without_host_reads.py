"""Mask R-CNN's training losses read nothing on the host with a GPU's choices, and those choices
give the CPU path's losses.

On the CPU the mask loss cuts each image's foreground RoIs out of the sample (a read of their
count per image) and resizes only the gt masks they use (``torch.unique``). On a GPU every
image keeps a fixed number of RoI slots, its foreground first, and the loss is a mean over the
foreground slots. The tests force the GPU's choices on the CPU (``tests/gpu_choices.py``, as
``tests/benchmark/test_host_syncs.py`` does for Faster R-CNN).
"""

from __future__ import annotations

import torch
from gpu_choices import device_reads, force_gpu_choices
from tiny_mask_rcnn import SMALL_MASK_RCNN

from detseg.benchmark.host_syncs import HostSyncRecorder
from detseg.detection import mask_head
from detseg.detection.mask_rcnn import mask_rcnn

SMALL = SMALL_MASK_RCNN


def _batch(with_negative: bool) -> tuple[list[torch.Tensor], list[dict[str, torch.Tensor]]]:
    """Two images: three objects with masks in the first; the second negative or with one."""
    generator = torch.Generator().manual_seed(0)
    images = [
        torch.rand(3, 64, 80, generator=generator),
        torch.rand(3, 72, 64, generator=generator),
    ]
    masks = torch.zeros(3, 64, 80, dtype=torch.uint8)
    masks[0, 6:50, 4:40] = 1
    masks[1, 10:60, 30:78] = 1
    masks[2, 2:20, 50:70] = 1
    first = {
        "boxes": torch.tensor([[4.0, 6.0, 40.0, 50.0], [30.0, 10.0, 78.0, 60.0], [50, 2, 70, 20]]),
        "labels": torch.tensor([1, 3, 2]),
        "masks": masks,
    }
    if with_negative:
        second = {
            "boxes": torch.zeros(0, 4),
            "labels": torch.zeros(0, dtype=torch.int64),
            "masks": torch.zeros(0, 72, 64, dtype=torch.uint8),
        }
    else:
        second_masks = torch.zeros(1, 72, 64, dtype=torch.uint8)
        second_masks[0, 8:60, 10:50] = 1
        second = {
            "boxes": torch.tensor([[10.0, 8.0, 50.0, 60.0]]),
            "labels": torch.tensor([2]),
            "masks": second_masks,
        }
    return images, [first, second]


def _model(rpn_sample: dict | None = None, **roi_heads):
    torch.manual_seed(0)
    rpn_settings = {"pre_nms_top_n_train": 60, "post_nms_top_n_train": 30, **(rpn_sample or {})}
    return mask_rcnn(3, **SMALL, rpn=rpn_settings, roi_heads=roi_heads).train()


def test_the_losses_read_nothing_with_a_gpus_choices(monkeypatch):
    force_gpu_choices(monkeypatch)
    for with_negative in (False, True):
        images, targets = _batch(with_negative)
        with HostSyncRecorder() as recorder:
            losses = _model(batch_size_per_image=32).losses(images, targets)
        assert device_reads(dict(recorder.sites)) == {}, with_negative
        assert all(torch.isfinite(v) for v in losses.values())
        assert losses["loss_roi_mask"] > 0


def test_a_gpus_choices_give_the_cpu_losses_when_nothing_is_drawn(monkeypatch):
    """With samples that take every candidate (nothing left to chance), the padded mask loss is
    the CPU path's, and so are its gradients (up to the summation order)."""
    take_all = {"batch_size_per_image": 100_000, "positive_fraction": 1.0}
    for with_negative in (False, True):
        images, targets = _batch(with_negative)
        model = _model(rpn_sample=take_all, **take_all)
        on_cpu = model.losses(images, targets)
        on_cpu["loss_roi_mask"].backward()
        grads_cpu = [p.grad.clone() for p in model.mask_head.parameters()]
        model.zero_grad()
        with monkeypatch.context() as patch:
            force_gpu_choices(patch)
            padded = model.losses(images, targets)
            padded["loss_roi_mask"].backward()
        for name, value in on_cpu.items():
            torch.testing.assert_close(padded[name], value, rtol=1e-5, atol=1e-6, msg=name)
        for grad, expected in zip(
            (p.grad for p in model.mask_head.parameters()), grads_cpu, strict=True
        ):
            torch.testing.assert_close(grad, expected, rtol=1e-4, atol=1e-6)


def test_without_any_foreground_the_padded_loss_is_zero_and_attached():
    logits = torch.randn(4, 3, 28, 28, requires_grad=True)
    loss = mask_head.mask_rcnn_loss(
        logits,
        torch.zeros(4, dtype=torch.int64),
        torch.rand(4, 28, 28),
        torch.zeros(4, dtype=torch.bool),
    )
    loss.backward()
    assert loss.item() == 0.0
    assert logits.grad is not None and torch.count_nonzero(logits.grad) == 0


def test_the_padded_loss_is_the_mean_over_the_valid_rows():
    torch.manual_seed(0)
    logits, targets = torch.randn(5, 2, 28, 28), torch.rand(5, 28, 28)
    channels = torch.tensor([1, 0, 1, 1, 0])
    valid = torch.tensor([True, False, True, True, False])
    expected = mask_head.mask_rcnn_loss(logits[valid], channels[valid], targets[valid])
    padded = mask_head.mask_rcnn_loss(logits, channels, targets, valid)
    torch.testing.assert_close(padded, expected, rtol=1e-6, atol=1e-7)


def test_under_bf16_autocast_the_padded_loss_is_the_cpu_paths(monkeypatch):
    """The padded path's dtypes hold under autocast (as a GPU trains by default): RoIAlign of
    the gt masks, the masked mean; its mask loss is the CPU path's (every candidate sampled)."""
    images, targets = _batch(False)
    take_all = {"batch_size_per_image": 100_000, "positive_fraction": 1.0}
    model = _model(rpn_sample=take_all, **take_all)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        on_cpu = model.losses(images, targets)["loss_roi_mask"]
        force_gpu_choices(monkeypatch)
        padded = model.losses(images, targets)["loss_roi_mask"]
    assert padded.dtype == on_cpu.dtype == torch.float32
    torch.testing.assert_close(padded, on_cpu, rtol=1e-5, atol=1e-6)
