"""HostSyncRecorder, and the host synchronisations left in Faster R-CNN's training losses."""

from __future__ import annotations

import pytest
import torch
from torchvision.models import detection as tvd

from detseg.benchmark.host_syncs import HostSyncRecorder
from detseg.benchmark.throughput import random_detection_batch
from detseg.models import from_torchvision
from detseg.ops.matching import BalancedSampler


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


def test_faster_rcnn_losses_sync_only_where_named(monkeypatch):
    """The training losses of Faster R-CNN read the device three times per step.

    They are the checks of the targets (one test for the batch), the number of proposals each
    image keeps, and the number of RoIs per FPN level. Two CPU-only paths are set aside: the
    reference NMS (``grouped_nms`` calls torchvision once per image on the CPU; the CUDA
    path is Triton kernels, checked sync-free in ``tests/ops/test_nms_triton.py``) and
    torchvision's randperm draw of the sampler (the GPU draw is used here instead).
    """

    def draw_with_keys(self, labels):
        return self.sample_with_keys(labels) if isinstance(labels, torch.Tensor) else None

    monkeypatch.setattr(BalancedSampler, "__call__", draw_with_keys)
    sites = _sync_sites_of_losses("fasterrcnn_resnet50_fpn", 3, min_size=256, max_size=256)
    sites.pop("ops.nms._grouped_nms_torchvision")  # CPU reference path, see the docstring
    assert sites == {
        "detection.validation.check_targets": 1,
        "ops.nms.kept_per_image": 1,  # proposals kept per image (rpn.filter_proposals)
        "detection.roi_pooling.forward": 1,
        # multi-scale min_size is drawn from torch's CPU generator: a CPU read, never a GPU sync
        "detection.transform._pick_min_size": 3,
    }


@pytest.mark.parametrize("builder", ["retinanet_resnet50_fpn", "ssd300_vgg16"])
def test_single_stage_losses_sync_once(builder):
    """RetinaNet's and SSD's losses (batched matching, masked focal / MultiBox losses) read the
    device once: the target checks."""
    kwargs = {"min_size": 256, "max_size": 256} if builder.startswith("retinanet") else {}
    sites = _sync_sites_of_losses(builder, 2, **kwargs)
    sites.pop("detection.transform._pick_min_size", None)  # CPU generator reads, see above
    assert sites == {"detection.validation.check_targets": 1}
