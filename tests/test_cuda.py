"""CUDA checks (marked ``cuda``; skipped without a GPU): parity with every torchvision twin on
the GPU, and one bf16 mixed-precision training step of every model family. One unmarked test
checks, on any machine, that every twin has its settings here.

Tolerance on CUDA: the twins run the same convolution kernels, but NMS and post-processing are
detseg's own there (Triton), and cuDNN may pick different algorithms for the two models. So the
labels must be equal, and boxes agree within ``BOX_ATOL`` pixels (+ ``BOX_RTOL``), scores
within ``SCORE_ATOL``. Mask R-CNN's pasted mask probabilities agree within ``MASK_ATOL``: a box
that moves by ``BOX_ATOL`` moves its pasted mask by as much, and a random-weight mask changes
by less than 1 per pixel.
"""

from __future__ import annotations

import pytest
import torch
from torchvision.models import detection as tvd
from torchvision.models import segmentation as tvs

from detseg.choices.torchvision_archs import DETECTION_TWINS, MASK_TWINS, SEGMENTATION_TWINS
from detseg.models import build_model, from_torchvision

BOX_ATOL, BOX_RTOL, SCORE_ATOL, MASK_ATOL = 1e-2, 1e-4, 1e-4, 1e-2


def _images(device="cuda"):
    g = torch.Generator().manual_seed(0)
    return [
        t.to(device)
        for t in (torch.rand(3, 170, 230, generator=g), torch.rand(3, 200, 160, generator=g))
    ]


# torchvision builder -> its settings (all built with random weights, see _twin)
_FASTER_RCNN = {"num_classes": 7, "box_score_thresh": 0.0}
_RETINANET = dict(num_classes=6, min_size=160, max_size=240, score_thresh=0.01, topk_candidates=300)
_SSD = {"num_classes": 5, "score_thresh": 0.05, "detections_per_img": 50}
_SMALL_R50 = {**_FASTER_RCNN, "min_size": 160, "max_size": 256, "box_detections_per_img": 50}
TWIN_SETTINGS = {
    "fasterrcnn_resnet50_fpn": {**_FASTER_RCNN, "min_size": 160, "max_size": 256},
    "fasterrcnn_resnet50_fpn_v2": {
        **_FASTER_RCNN,
        "min_size": 160,
        "max_size": 256,
        "box_detections_per_img": 50,
    },
    "fasterrcnn_mobilenet_v3_large_fpn": {**_FASTER_RCNN, "min_size": 288},
    "fasterrcnn_mobilenet_v3_large_320_fpn": _FASTER_RCNN,
    "maskrcnn_resnet50_fpn": _SMALL_R50,
    "maskrcnn_resnet50_fpn_v2": _SMALL_R50,
    "retinanet_resnet50_fpn": _RETINANET,
    "retinanet_resnet50_fpn_v2": _RETINANET,
    # ImageNet std: an untrained VGG saturates the softmax at 1.0 with SSD's 1/255 scaling
    "ssd300_vgg16": {**_SSD, "image_std": [0.229, 0.224, 0.225]},
    "ssdlite320_mobilenet_v3_large": _SSD,
}


def test_every_detection_twin_has_cuda_settings():
    assert set(TWIN_SETTINGS) == set(DETECTION_TWINS)


def _twin(name: str) -> torch.nn.Module:
    tv = getattr(tvd, name)(weights=None, weights_backbone=None, **TWIN_SETTINGS[name])
    if name.startswith("retinanet"):
        with torch.no_grad():  # output 0 is COCO's unused background: never fires (as trained)
            tv.head.classification_head.cls_logits.bias.view(-1, 6)[:, 0] = -30.0
    return tv


@pytest.mark.cuda
@pytest.mark.parametrize("name", DETECTION_TWINS)
def test_detection_parity_on_cuda(name):
    detection_parity(name, torch.device("cuda"))


def detection_parity(name: str, device: torch.device) -> None:
    """The detections of the twin ``name`` and of its detseg conversion on ``device`` agree
    (labels equal; boxes, scores and masks within the module's tolerances)."""
    torch.manual_seed(0)
    tv = _twin(name).eval()
    ours = from_torchvision(tv).to(device).eval()
    tv = tv.to(device)
    images = _images(device)
    with torch.no_grad():
        want, have = tv(images), ours.predict(images)
    for w, h in zip(want, have, strict=True):
        assert len(w["labels"]) > 0
        assert torch.equal(h["labels"], w["labels"]), name
        torch.testing.assert_close(h["boxes"], w["boxes"], atol=BOX_ATOL, rtol=BOX_RTOL)
        torch.testing.assert_close(h["scores"], w["scores"], atol=SCORE_ATOL, rtol=0)
        if name in MASK_TWINS:
            assert h["masks"].shape == w["masks"].shape
            torch.testing.assert_close(h["masks"], w["masks"], atol=MASK_ATOL, rtol=0)


@pytest.mark.cuda
@pytest.mark.parametrize("name", SEGMENTATION_TWINS)
def test_segmentation_parity_on_cuda(name):
    segmentation_parity(name, torch.device("cuda"))


def segmentation_parity(name: str, device: torch.device) -> None:
    """The logits of the twin ``name`` and of its detseg conversion on ``device`` agree."""
    torch.manual_seed(0)
    tv = getattr(tvs, name)(weights=None, weights_backbone=None, num_classes=5).eval()
    ours = from_torchvision(tv).to(device).eval()
    tv = tv.to(device)
    x = torch.rand(2, 3, 128, 160, device=device)
    mean = torch.tensor([0.485, 0.456, 0.406], device=device)[:, None, None]
    std = torch.tensor([0.229, 0.224, 0.225], device=device)[:, None, None]
    with torch.no_grad():
        want, have = tv((x - mean) / std)["out"], ours(x)
    torch.testing.assert_close(have, want, atol=1e-4 * want.abs().max().item(), rtol=1e-4)


SMALL = {"min_size": 128, "max_size": 160, "input_size": 128}
FAMILIES = [
    "faster_rcnn_resnet50_fpn",
    "mask_rcnn_resnet50_fpn",
    "retinanet_resnet50_fpn",
    "ssd300_vgg16",
    "ssdlite320_mobilenet_v3_large",
    "yolov1_resnet18",
    "yolov3_resnet18",
    "fcn_resnet50",
    "deeplabv3_resnet50",
    "lraspp_mobilenet_v3_large",
    "unet",
]


@pytest.mark.cuda
@pytest.mark.parametrize("name", FAMILIES)
def test_bf16_training_step_on_cuda(name):
    amp_training_step(name, torch.device("cuda"))


def amp_training_step(name: str, device: torch.device) -> None:
    """One bf16-autocast training step of a small ``name`` model on ``device``: finite losses,
    finite gradients, an optimizer step."""
    import inspect

    from detseg.models import MODELS

    params = inspect.signature(MODELS[name]).parameters
    torch.manual_seed(0)
    model = build_model({"name": name, **{k: v for k, v in SMALL.items() if k in params}}, 3)
    model = model.to(device).train().to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    images = torch.rand(2, 3, 128, 128, device=device)
    with torch.autocast(device.type, dtype=torch.bfloat16):
        if model.task == "detection":
            instance = torch.zeros(1, 128, 128, dtype=torch.uint8, device=device)
            instance[0, 6:90, 4:60] = 1
            targets = [
                {
                    "boxes": torch.tensor([[4.0, 6.0, 60.0, 90.0]], device=device),
                    "labels": torch.tensor([1], device=device),
                    "masks": instance,
                },
                {
                    "boxes": torch.zeros(0, 4, device=device),
                    "labels": torch.zeros(0, dtype=torch.int64, device=device),
                    "masks": torch.zeros(0, 128, 128, dtype=torch.uint8, device=device),
                },
            ]
            losses = model.losses(list(images), targets)
        else:
            masks = torch.zeros(2, 128, 128, dtype=torch.int64, device=device)
            masks[:, 20:60, 30:90] = 2
            losses = model.losses(images, masks)
    total = sum(losses.values())
    assert torch.isfinite(total), losses
    total.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    optimizer.step()


@pytest.mark.cuda
def test_faster_rcnn_training_step_has_few_host_syncs():
    """A steady-state training step of Faster R-CNN R50-FPN synchronises with the host at most
    10 times. Its losses take no host read on a GPU's path (``tests/benchmark/test_host_syncs.py``
    shows it on the CPU with the GPU's choices); the limit leaves room for torch's own."""
    import warnings

    from detseg.benchmark.throughput import random_detection_batch

    torch.manual_seed(0)
    tv = tvd.fasterrcnn_resnet50_fpn(
        weights=None, weights_backbone=None, min_size=320, max_size=320
    )
    model = from_torchvision(tv).cuda().train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    images, targets = random_detection_batch(4, 320, 90, torch.device("cuda"), 0)

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            losses = model.losses(images, targets)
        sum(losses.values()).backward()
        optimizer.step()

    step()  # warm-up: cuDNN autotuning, Triton compilation
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            step()
        finally:
            torch.cuda.set_sync_debug_mode(0)
    syncs = [w for w in caught if "synchroniz" in str(w.message)]
    assert len(syncs) <= 10, [str(w.message) for w in syncs]
