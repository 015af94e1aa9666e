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
    "MASK_TWIN_SCORE_THRESH",
    "NO_AUX",
    "SEGMENTATION_TWINS",
    "SSD_TWINS",
    "detection_twins",
    "segmentation_twins",
]

logger = logging.getLogger(__name__)

#: torchvision's LR-ASPP has no auxiliary head
NO_AUX = ("lraspp_mobilenet_v3_large",)

# Box score threshold of the Mask R-CNN twins. With random weights every class score is about
# 1 / 91, below torchvision's default 0.05, so inference would return no detections and never
# run the mask head or the mask pasting. With 0 both twins return ``box_detections_per_img``
# (100) detections per image, masks included, as a trained model on a busy image does.
MASK_TWIN_SCORE_THRESH = 0.0

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
            Mask R-CNN twins also get ``box_score_thresh`` :data:`MASK_TWIN_SCORE_THRESH`.
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
    if arch in MASK_TWINS:
        kwargs.update(box_score_thresh=MASK_TWIN_SCORE_THRESH)
    with timed_stage(logger, f"building torchvision's {arch} (random weights) on {device}"):
        twin = getattr(tv_detection, arch)(**kwargs).to(device)
    with timed_stage(logger, _CONVERTING):
        ours = from_torchvision(twin).to(device)
    return twin.to(memory_format=memory_format), ours.to(memory_format=memory_format)


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
