"""The torchvision models that have a detseg twin, built side by side for the benchmarks.

A twin pair is a torchvision model built with ``weights=None, weights_backbone=None`` (random
weights, nothing downloaded) and the detseg model converted from it by
:func:`detseg.models.from_torchvision`: same architecture, same weights, same train/eval mode.
Both are ``nn.Module`` s, typed ``Any`` here: the benchmarks call their own methods
(``losses``, ``predict``, ``postprocess``, torchvision's ``transform`` ...). Building them takes
seconds (tens for a ResNet-50 on a CPU): each of the two steps logs a line when it starts and
one with its seconds when it ends (:func:`detseg.timed_stages.timed_stage`).
"""

from __future__ import annotations

import logging
from typing import Any

import torch
import torchvision.models.detection as tv_detection
import torchvision.models.segmentation as tv_segmentation

from detseg.choices.torchvision_archs import (
    DETECTION_TWINS,
    MASK_TWINS,
    SEGMENTATION_TWINS,
    SSD_TWINS,
)
from detseg.models import from_torchvision
from detseg.timed_stages import timed_stage

__all__ = [
    "DETECTION_TWINS",
    "MASK_TWINS",
    "NO_AUX",
    "SEGMENTATION_TWINS",
    "SSD_TWINS",
    "TWIN_SCORE_THRESH",
    "detection_twins",
    "segmentation_twins",
]

logger = logging.getLogger(__name__)

#: torchvision's LR-ASPP has no auxiliary head
NO_AUX = ("lraspp_mobilenet_v3_large",)

#: Box score threshold of the Faster R-CNN, Mask R-CNN and RetinaNet twins (both sides: the
#: detseg twin is converted from the torchvision one). With random weights every class score
#: is about 1 / 91 (a softmax over 91 classes; RetinaNet's sigmoid starts at its prior 0.01),
#: below torchvision's default 0.05, so inference would return no detection: the parity check
#: would compare nothing and the timing would skip the box decoding, NMS and (Mask R-CNN) the
#: mask head and pasting. With 0 both twins return their full ``detections_per_img`` (100 for
#: the R-CNNs, 300 for RetinaNet) per image, as a trained model does on a busy image. The SSDs
#: keep torchvision's 0.01, which their softmax scores of about 1 / 91 pass.
TWIN_SCORE_THRESH = 0.0

#: The stage that builds the detseg twin: ``from_torchvision`` builds detseg's modules and
#: copies the torchvision weights into them by its state-dict mapping, in one call.
_CONVERTING = "building detseg's model from it and copying the weights"


def detection_twins(
    arch: str,
    size: int,
    device: torch.device,
    memory_format: torch.memory_format = torch.contiguous_format,
) -> tuple[Any, Any]:
    """``(torchvision model, detseg model)`` of a detection builder in :data:`DETECTION_TWINS`.

    Args:
        arch: torchvision builder name, e.g. ``"fasterrcnn_mobilenet_v3_large_320_fpn"``.
        size: ``min_size`` and ``max_size`` of the twin's resize (SSDs keep their fixed size).
            The R-CNN twins get ``box_score_thresh`` and RetinaNet's ``score_thresh``
            :data:`TWIN_SCORE_THRESH`.
        device: where both models go.
        memory_format: of both models' weights, e.g. ``torch.channels_last``.
    """
    if arch not in DETECTION_TWINS:
        raise ValueError(
            f"unknown detection architecture {arch!r}; choose one of {DETECTION_TWINS}."
        )
    kwargs: dict[str, object] = {"weights": None, "weights_backbone": None}
    if arch not in SSD_TWINS:
        kwargs.update(min_size=size, max_size=size)
        threshold = "score_thresh" if arch.startswith("retinanet") else "box_score_thresh"
        kwargs[threshold] = TWIN_SCORE_THRESH
    with timed_stage(logger, f"building torchvision's {arch} (random weights) on {device}"):
        twin = getattr(tv_detection, arch)(**kwargs).to(device)
    if arch.startswith("retinanet"):
        _silence_background_output(twin)
    with timed_stage(logger, _CONVERTING):
        ours = from_torchvision(twin).to(device)
    return twin.to(memory_format=memory_format), ours.to(memory_format=memory_format)


def _silence_background_output(twin: Any) -> None:
    """Set the bias of a torchvision RetinaNet's output 0 (COCO's unused ``"__background__"``
    class, which the converter drops: :mod:`detseg.convert.retinanet`) very low, as trained
    weights have it (never a positive), so that at score threshold 0 torchvision detects no
    label 0, which detseg's twin has no output for."""
    logits = twin.head.classification_head.cls_logits
    with torch.no_grad():
        logits.bias.view(-1, twin.head.classification_head.num_classes)[:, 0] = -30.0


def segmentation_twins(
    arch: str,
    device: torch.device,
    aux_loss: bool = False,
    memory_format: torch.memory_format = torch.contiguous_format,
) -> tuple[Any, Any]:
    """``(torchvision model, detseg model)`` of a builder in :data:`SEGMENTATION_TWINS`, in eval
    mode, 21 classes (torchvision's default: VOC background + 20).

    Args:
        arch: torchvision builder name, e.g. ``"deeplabv3_mobilenet_v3_large"``.
        device: where both models go.
        aux_loss: build the auxiliary head too (not for :data:`NO_AUX`).
        memory_format: of both models' weights, e.g. ``torch.channels_last``.
    """
    if arch not in SEGMENTATION_TWINS:
        raise ValueError(
            f"unknown segmentation architecture {arch!r}; choose one of {SEGMENTATION_TWINS}."
        )
    kwargs = {"aux_loss": True} if aux_loss else {}
    builder = getattr(tv_segmentation, arch)
    with timed_stage(logger, f"building torchvision's {arch} (random weights) on {device}"):
        twin = builder(weights=None, weights_backbone=None, **kwargs).to(device).eval()
    with timed_stage(logger, _CONVERTING):
        ours = from_torchvision(twin).to(device).eval()
    return twin.to(memory_format=memory_format), ours.to(memory_format=memory_format)
