"""The host synchronisations of the training losses of YOLO, Mask R-CNN and the segmenters.

As ``test_host_syncs.py`` does for Faster R-CNN, RetinaNet and SSD: each family's losses run on
the CPU twice, forward and backward, as they run there (each host read named by its site, with
its count) and with the GPU's choices forced (``tests/gpu_choices.py``: no read but the
CPU-only ones). The GPU's choices only skip checks or take a padded path, so they give the CPU
path's losses: bit for bit for YOLO and the segmenters (the same ops on the same values), and
for Mask R-CNN where nothing is left to the samplers' draw
(``tests/detection/test_mask_losses_without_host_reads.py``).
"""

from __future__ import annotations

import pytest
import torch
from gpu_choices import device_reads, force_gpu_choices
from tiny_mask_rcnn import SMALL_MASK_RCNN

from detseg.benchmark.host_syncs import HostSyncRecorder
from detseg.benchmark.throughput import random_detection_batch
from detseg.detection.mask_rcnn import mask_rcnn
from detseg.detection.yolo import yolo
from detseg.segmentation import SEGMENTATION_MODELS, SegmentationLossConfig

EMPTY = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}


def _losses_and_sites(model, *batch) -> tuple[dict[str, torch.Tensor], dict[str, int]]:
    """The losses (the heads' dropout drawn from seed 1) and the sites of the host reads of
    their forward and backward pass."""
    torch.manual_seed(1)
    model.zero_grad()
    with HostSyncRecorder() as recorder:
        losses = model.losses(*batch)
        sum(losses.values()).backward()
    assert all(torch.isfinite(value) for value in losses.values())
    return losses, dict(recorder.sites)


def _assert_same_losses(on_gpu_paths: dict, on_cpu: dict) -> None:
    """The same ops on the same values: equal bit for bit (tolerance 0)."""
    assert set(on_gpu_paths) == set(on_cpu)
    for name, value in on_cpu.items():
        torch.testing.assert_close(on_gpu_paths[name], value, rtol=0, atol=0, msg=name)


# --- YOLO v1 and v3 ------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_yolo_reads_only_the_target_checks_on_the_cpu_and_nothing_on_a_gpu(
    monkeypatch, one_thread, version
):
    """The targets are assigned over the padded batch and the losses are masked sums: the one
    read is the CPU's check of the box values (one test for the batch, image 1 a negative)."""
    images, targets = random_detection_batch(2, 128, 5, torch.device("cpu"), 0)
    targets[1] = EMPTY
    torch.manual_seed(0)
    model = yolo(5, version=version, backbone="resnet18", input_size=128).train()
    on_cpu, sites = _losses_and_sites(model, images, targets)
    assert sites == {"detection.validation.check_targets": 1}
    force_gpu_choices(monkeypatch)
    on_gpu_paths, sites = _losses_and_sites(model, images, targets)
    assert sites == {}
    _assert_same_losses(on_gpu_paths, on_cpu)
    assert on_cpu["loss_box"] > 0 and on_cpu["loss_cls"] > 0


# --- Mask R-CNN ----------------------------------------------------------------------------

#: Mask R-CNN's reads on the CPU, beyond Faster R-CNN's: its mask loss cuts each image's
#: foreground RoIs out of the sample (torchvision's path)
MASK_RCNN_CPU_READS = {
    "detection.validation.check_targets": 1,
    "detection.transform._pick_min_size": 2,  # multi-scale min_size: torch's CPU generator
    "ops.nms._grouped_nms_torchvision": 3,  # the reference NMS (Triton kernels on a GPU)
    "ops.nms.kept_per_image": 1,  # proposals kept per image (rpn.filter_proposals)
    "ops.matching.sample_with_randperm": 8,  # torchvision's randperm draw, 2 samplers x 2 images
    "ops.roi_align.check_roi_rows": 8,  # CPU rows only
    "detection.roi_pooling.forward": 2,  # the RoIs of each FPN level, box and mask heads
    "detection.mask_head.<listcomp>": 4,  # each image's foreground RoIs and their gt indices
    "detection.mask_head.project_masks_on_boxes": 2,  # torch.unique of the gt masks used
    "detection.mask_head.losses": 1,  # the foreground RoIs' labels
}


SMALL = SMALL_MASK_RCNN


def _batch(with_negative: bool) -> tuple[list[torch.Tensor], list[dict[str, torch.Tensor]]]:
    """Two images: two objects with masks in the first; the second negative or with one."""
    generator = torch.Generator().manual_seed(0)
    images = [
        torch.rand(3, 64, 80, generator=generator),
        torch.rand(3, 72, 64, generator=generator),
    ]
    boxes = [torch.tensor([[4.0, 6.0, 40.0, 50.0], [30.0, 10.0, 78.0, 60.0]])]
    boxes.append(torch.zeros(0, 4) if with_negative else torch.tensor([[10.0, 8.0, 50.0, 60.0]]))
    targets = []
    for image, image_boxes in zip(images, boxes, strict=True):
        masks = torch.zeros(len(image_boxes), *image.shape[1:], dtype=torch.uint8)
        for mask, (x1, y1, x2, y2) in zip(masks, image_boxes.int().tolist(), strict=True):
            mask[y1:y2, x1:x2] = 1
        labels = torch.arange(1, len(image_boxes) + 1)
        targets.append({"boxes": image_boxes, "labels": labels, "masks": masks})
    return images, targets


def _mask_rcnn(**heads):
    torch.manual_seed(0)
    rpn = {"pre_nms_top_n_train": 60, "post_nms_top_n_train": 30}
    return mask_rcnn(3, **SMALL, rpn=rpn, roi_heads={"batch_size_per_image": 32}, **heads)


def test_mask_rcnn_reads_where_named_on_the_cpu_and_nothing_on_a_gpu(monkeypatch, one_thread):
    images, targets = _batch(with_negative=False)
    model = _mask_rcnn().train()
    assert _losses_and_sites(model, images, targets)[1] == MASK_RCNN_CPU_READS
    force_gpu_choices(monkeypatch)
    for with_negative in (False, True):
        _, sites = _losses_and_sites(model, *_batch(with_negative))
        assert device_reads(sites) == {}, with_negative


def test_a_batchnorm_mask_head_keeps_the_reads_of_the_foreground_cut(monkeypatch, one_thread):
    """Kept on purpose: a BatchNorm mask head in training (``mask_norm="bn"``, the v2 model)
    takes its statistics over the RoIs it is given, so on a GPU too it pools only each image's
    foreground RoIs, whose number per image (read on the host) sizes its input. The padded
    path of the plain head would add the background slots to the statistics."""
    force_gpu_choices(monkeypatch)
    _, sites = _losses_and_sites(_mask_rcnn(mask_norm="bn").train(), *_batch(False))
    assert device_reads(sites) == {
        "detection.mask_head.<listcomp>": 4,  # each image's foreground RoIs and gt indices
        "detection.mask_head.losses": 1,  # the foreground RoIs' labels
    }


# --- segmenters ----------------------------------------------------------------------------

MOBILENET = {"backbone": "mobilenet_v3_large", "output_stride": 16, "aux_loss": True}
#: family -> (builder keywords, the names of its losses with ``CE_DICE_BOUNDARY``)
SEGMENTERS = {
    "fcn": (MOBILENET, {"loss_seg", "loss_dice", "loss_aux"}),
    "deeplabv3": (MOBILENET, {"loss_seg", "loss_dice", "loss_aux"}),
    "deeplabv3plus": (MOBILENET, {"loss_seg", "loss_dice", "loss_aux"}),
    "lraspp": ({}, {"loss_seg", "loss_dice"}),
    "unet": ({"deep_supervision": True}, {"loss_seg", "loss_dice", "loss_deep"}),
}
CE_DICE_BOUNDARY = SegmentationLossConfig(kind="ce+dice", boundary_weight=2.0)


def _segmentation_batch() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    masks = torch.randint(0, 4, (2, 64, 64), generator=generator)
    masks[0, :4] = 255  # ignored pixels
    return torch.rand(2, 3, 64, 64, generator=generator), masks


def _segmentation_sites(monkeypatch, name, loss, **kwargs) -> tuple[dict, dict]:
    """The CPU path's reads and, with the GPU's choices, that the losses read nothing and are
    the CPU path's."""
    torch.manual_seed(0)
    model = SEGMENTATION_MODELS[name](3, loss=loss, **kwargs).train()
    on_cpu, cpu_sites = _losses_and_sites(model, *_segmentation_batch())
    with monkeypatch.context() as patch:
        force_gpu_choices(patch)
        on_gpu_paths, gpu_sites = _losses_and_sites(model, *_segmentation_batch())
    assert gpu_sites == {}
    _assert_same_losses(on_gpu_paths, on_cpu)
    return on_cpu, cpu_sites


@pytest.mark.parametrize("name", SEGMENTERS)
def test_segmenters_read_only_the_label_checks_on_the_cpu_and_nothing_on_a_gpu(
    monkeypatch, one_thread, name
):
    """Cross-entropy with boundary weights, Dice, and the auxiliary head (or U-Net's deep
    supervision): on the CPU the mask labels are checked once by the model and once by each
    Dice loss (U-Net's deep supervision: one per output); on a GPU the datasets check them."""
    kwargs, names = SEGMENTERS[name]
    losses, sites = _segmentation_sites(monkeypatch, name, CE_DICE_BOUNDARY, **kwargs)
    assert set(losses) == names
    dice_losses = 4 if name == "unet" else 1  # the full-size output, 3 coarser up blocks
    assert sites == {"segmentation.model._check_masks": 1, "losses._check_labels": dice_losses}


@pytest.mark.parametrize(
    "loss",
    [
        SegmentationLossConfig(),  # plain cross-entropy: no Dice label check
        SegmentationLossConfig(size="logits", target_downsampling="area"),  # soft targets
    ],
    ids=["ce", "area_targets"],
)
def test_cross_entropy_alone_reads_only_the_mask_check_on_the_cpu(monkeypatch, one_thread, loss):
    _, sites = _segmentation_sites(monkeypatch, "deeplabv3plus", loss, **MOBILENET)
    assert sites == {"segmentation.model._check_masks": 1}


# --- on a GPU ------------------------------------------------------------------------------


@pytest.mark.cuda
def test_on_a_gpu_the_losses_make_no_host_sync():
    """On CUDA the forward and backward pass of each family's losses synchronise with the host
    nowhere (``torch.cuda.set_sync_debug_mode``: it also sees the copies of host data from
    pageable memory, which a CPU run cannot show)."""
    import warnings

    cuda = torch.device("cuda")
    detection_images, detection_targets = random_detection_batch(2, 128, 5, cuda, 0)
    mask_images, mask_targets = _batch(with_negative=True)
    mask_images = [image.to(cuda) for image in mask_images]
    mask_targets = [{key: value.to(cuda) for key, value in t.items()} for t in mask_targets]
    images, masks = (x.to(cuda) for x in _segmentation_batch())
    cases = {
        "yolo_v1": (yolo(5, version="v1", input_size=128), detection_images, detection_targets),
        "yolo_v3": (yolo(5, version="v3", input_size=128), detection_images, detection_targets),
        "mask_rcnn": (_mask_rcnn(), mask_images, mask_targets),
        "deeplabv3plus": (
            SEGMENTATION_MODELS["deeplabv3plus"](3, loss=CE_DICE_BOUNDARY, **MOBILENET),
            images,
            masks,
        ),
        "unet": (
            SEGMENTATION_MODELS["unet"](3, loss=CE_DICE_BOUNDARY, deep_supervision=True),
            images,
            masks,
        ),
    }
    for name, (model, *batch) in cases.items():
        model = model.to(cuda).train()
        sum(model.losses(*batch).values()).backward()  # warm-up: cuDNN, Triton compilation
        torch.cuda.synchronize()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
            try:
                sum(model.losses(*batch).values()).backward()
            finally:
                torch.cuda.set_sync_debug_mode(0)
        syncs = [str(w.message) for w in caught if "synchroniz" in str(w.message)]
        assert syncs == [], name
