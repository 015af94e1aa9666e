"""HostSyncRecorder, and the host synchronisations of the detectors' training losses.

On the CPU a model reads some values on the host (free there): torchvision's sampler draw, the
per-image proposal counts, the per-level RoI counts, the target checks. On a GPU each would be a
wait for the device, so the models take other paths there. The tests below run the losses
on the CPU twice: as they run on the CPU (each read named), and with the GPU's choices forced
(no read at all).
"""

from __future__ import annotations

import pytest
import torch
from gpu_choices import device_reads, force_gpu_choices
from torchvision.models import detection as tvd

from detseg.benchmark.host_syncs import HostSyncRecorder
from detseg.benchmark.throughput import random_detection_batch
from detseg.models import from_torchvision


def test_recorder_sees_reads_and_data_dependent_shapes_only():
    x = torch.arange(6.0)
    with HostSyncRecorder() as recorder:
        y = (x * 2 + 1).sum(dim=0)  # no sync
        x.view(2, 3).max(dim=1)  # no sync
        torch.where(x > 2, x, 0.0)  # three-argument where: no sync
        y.item()
        x.tolist()
        torch.where(x > 2)  # nonzero
        x[x > 2]  # boolean-mask indexing
    assert recorder.total == 4
    assert recorder.sites == {"<outside>": 4}
    assert torch.Tensor.tolist is not None and x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def _sync_sites_of_losses(builder: str, num_images: int, **kwargs) -> dict[str, int]:
    """Where a converted random-weight twin's training losses would sync, image 1 a negative."""
    torch.manual_seed(0)
    model = from_torchvision(
        getattr(tvd, builder)(weights=None, weights_backbone=None, **kwargs)
    ).train()
    images, targets = random_detection_batch(num_images, 256, 90, torch.device("cpu"), 0)
    targets[1] = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    with HostSyncRecorder() as recorder:
        losses = model.losses(images, targets)
    assert all(torch.isfinite(v) for v in losses.values())
    return dict(recorder.sites)


def test_faster_rcnn_losses_on_the_cpu_read_where_named():
    """On the CPU, Faster R-CNN's losses read the host where torchvision does: the target
    checks (one test for the batch), the number of proposals each image keeps (to list them as
    torchvision does), the number of RoIs per FPN level (one RoIAlign per level), the reference
    NMS (torchvision's, once per image), torchvision's randperm draw of the samplers and the RoI
    row check of the CPU."""
    sites = _sync_sites_of_losses("fasterrcnn_resnet50_fpn", 2, min_size=256, max_size=256)
    assert set(sites) == {
        "detection.validation.check_targets",
        "ops.nms.kept_per_image",  # proposals kept per image (rpn.filter_proposals)
        "detection.roi_pooling.forward",
        "ops.nms._grouped_nms_torchvision",
        "ops.matching.sample_with_randperm",
        # multi-scale min_size is drawn from torch's CPU generator: a CPU read, never a GPU sync
        "detection.transform._pick_min_size",
        # RoI rows checked for NaN and image indices on the CPU only (torchvision segfaults)
        "ops.roi_align.check_roi_rows",
    }


@pytest.mark.parametrize(
    ("builder", "kwargs"),
    [
        ("fasterrcnn_resnet50_fpn", {"min_size": 256, "max_size": 256}),
        ("retinanet_resnet50_fpn", {"min_size": 256, "max_size": 256}),
        ("ssd300_vgg16", {}),
    ],
)
def test_losses_on_a_gpu_read_nothing(monkeypatch, builder, kwargs):
    """With the GPU's choices, the training losses of the two-stage and single-stage detectors
    never read a value on the host: no host synchronisation in the step's forward."""
    force_gpu_choices(monkeypatch)
    assert device_reads(_sync_sites_of_losses(builder, 2, **kwargs)) == {}


def test_gpu_choices_give_the_cpu_losses_when_nothing_is_drawn(monkeypatch):
    """The GPU's paths compute the same losses: with samples large enough to take every anchor
    and every proposal (nothing left to chance), Faster R-CNN's four losses are the CPU
    path's. The proposals come in another order (padded, stably sorted) and the losses are
    sums, so they agree to float rounding."""
    sample_everything = {
        "rpn_pre_nms_top_n_train": 200,  # per level: a small, quick RoI stage
        "rpn_post_nms_top_n_train": 200,
        "rpn_batch_size_per_image": 100_000,
        "rpn_positive_fraction": 1.0,
        "box_batch_size_per_image": 100_000,
        "box_positive_fraction": 1.0,
    }
    torch.manual_seed(0)
    model = from_torchvision(  # MobileNetV3-FPN: two pooled levels, quicker than ResNet-50
        tvd.fasterrcnn_mobilenet_v3_large_fpn(
            weights=None, weights_backbone=None, min_size=256, max_size=256, **sample_everything
        )
    ).train()
    images, targets = random_detection_batch(2, 256, 90, torch.device("cpu"), 0)
    on_cpu = model.losses(images, targets)
    force_gpu_choices(monkeypatch)
    on_gpu_paths = model.losses(images, targets)
    assert set(on_cpu) == set(on_gpu_paths)
    for name, value in on_cpu.items():
        torch.testing.assert_close(on_gpu_paths[name], value, rtol=1e-5, atol=1e-6, msg=name)
    assert on_cpu["loss_roi_box"] > 0 and on_cpu["loss_rpn_box"] > 0
