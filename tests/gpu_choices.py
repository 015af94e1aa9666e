"""The choices the models make on a GPU, forced on the CPU (a shared test helper).

On a GPU the models avoid every host read: the padded proposal cut, the samplers' key draw,
target values (box targets, segmentation masks, Dice labels) left to the data pipeline, one
RoIAlign kernel for every FPN level, Mask R-CNN's padded mask loss. :func:`force_gpu_choices`
makes a CPU run of any family (detectors, YOLO, segmenters) take those paths, so that
``HostSyncRecorder`` can show they read nothing. The NMS stays torchvision's (the CUDA path is
Triton kernels, checked sync-free in tests/ops/test_nms_triton.py): its reads, and the
multi-scale draw of torch's CPU generator, and the RoI row check (CPU rows only:
``detseg.ops.roi_align.check_roi_rows``), are :data:`CPU_ONLY_READS`.
"""

from __future__ import annotations

import pytest
import torch
from torchvision.ops import roi_align

import detseg.losses
from detseg.detection import mask_head, roi_pooling, rpn, validation
from detseg.ops import roi_align_triton
from detseg.ops.matching import BalancedSampler
from detseg.segmentation import model as segmentation_model

#: the reads that happen on the CPU only (the sites ``HostSyncRecorder`` names)
CPU_ONLY_READS = (
    "ops.nms._grouped_nms_torchvision",
    "detection.transform._pick_min_size",
    "ops.roi_align.check_roi_rows",
)


def pool_every_level_then_pick(features, rois, levels, output_size, scales, sampling_ratio):
    """Stands in for the Triton kernel on the CPU: torchvision's RoIAlign of every RoI on every
    level, each RoI's own level kept (same values, no host read; tested against the kernel in
    tests/ops/test_roi_align_triton.py)."""
    pooled = None
    for level, (feature, scale) in enumerate(zip(features, scales, strict=True)):
        rows = roi_align(feature, rois, output_size, scale, sampling_ratio, aligned=False)
        mine = (levels == level)[:, None, None, None]
        pooled = rows if pooled is None else torch.where(mine, rows, pooled)
    return pooled


def force_gpu_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the detectors take their GPU paths on the CPU (see the module docstring)."""

    def draw_with_keys(self, labels):
        return self.sample_with_keys(labels)

    monkeypatch.setattr(BalancedSampler, "__call__", draw_with_keys)
    for module in (rpn, validation, mask_head, segmentation_model, detseg.losses):
        monkeypatch.setattr(module, "host_reads_are_free", lambda device: False)
    monkeypatch.setattr(roi_pooling.RoIPooler, "_uses_one_kernel", lambda self, feature: True)
    monkeypatch.setattr(roi_align_triton, "multi_level_roi_align", pool_every_level_then_pick)


def device_reads(sites: dict[str, int]) -> dict[str, int]:
    """The recorded reads but :data:`CPU_ONLY_READS`."""
    return {site: count for site, count in sites.items() if site not in CPU_ONLY_READS}
