"""A YOLO model's training losses read nothing on the host when its tensors are on a GPU.

The targets are assigned over the padded batch (no per-image loop, ``nonzero`` or boolean
selection), and the losses are masked sums, so with the GPU's choice for the target checks
(``host_reads_are_free`` false: the values are left to the data pipeline) the recorder sees no
host read at all, for every YOLO model, loss option, and with an image without boxes.
"""

from __future__ import annotations

import pytest
import torch

import detseg.detection.validation as validation
from detseg.benchmark.host_syncs import HostSyncRecorder
from detseg.benchmark.throughput import random_detection_batch
from detseg.detection.yolo import YOLO_MODELS

EMPTY = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}


def _sync_sites_of_losses(name: str, empty_image: bool, **kwargs) -> dict[str, int]:
    """Where the losses of a random-weight model on two 256 px images would sync."""
    torch.manual_seed(0)
    model = YOLO_MODELS[name](num_classes=5, **kwargs).train()
    images, targets = random_detection_batch(2, 256, 5, torch.device("cpu"), 0)
    if empty_image:
        targets[1] = EMPTY
    with HostSyncRecorder() as recorder:
        losses = model.losses(images, targets)
    assert all(torch.isfinite(value) for value in losses.values())
    return dict(recorder.sites)


@pytest.mark.parametrize("empty_image", [False, True], ids=["boxes", "empty_image"])
@pytest.mark.parametrize("name", list(YOLO_MODELS))
def test_no_host_read_with_the_gpu_choice(monkeypatch, name, empty_image):
    monkeypatch.setattr(validation, "host_reads_are_free", lambda device: False)
    assert _sync_sites_of_losses(name, empty_image) == {}


LOSS_OPTIONS = {
    "v3_smooth_l1": {"version": "v3", "loss": {"box_loss": "smooth_l1"}},
    "v3_multi_prior": {"version": "v3", "loss": {"assign_thresh": 0.213, "ignore_thresh": 0.7}},
    "v1_no_rescore": {"version": "v1", "loss": {"rescore": False}},
}


@pytest.mark.parametrize("option", LOSS_OPTIONS, ids=str)
def test_no_host_read_with_every_loss_option(monkeypatch, option):
    monkeypatch.setattr(validation, "host_reads_are_free", lambda device: False)
    sites = _sync_sites_of_losses("yolo", True, input_size=128, **LOSS_OPTIONS[option])
    assert sites == {}


def test_on_the_cpu_only_the_target_checks_read():
    """On the CPU (reads are free there) the losses read only where the targets are checked."""
    sites = _sync_sites_of_losses("yolov3_resnet18", False)
    assert set(sites) == {"detection.validation.check_targets"}
