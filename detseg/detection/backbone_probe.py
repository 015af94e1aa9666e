"""One forward pass of a backbone module given to a detector builder, checked against what it
declares.

A backbone of one's own (``faster_rcnn(K, backbone=module)``, ``retinanet(...)``) declares its
levels in ``out_channels`` and ``strides``; the heads, anchors and RoI pooling are built from
those declarations. A forward pass that returns a tensor instead of a dict, a level of other
channels or a feature map of another stride would otherwise fail deep inside the first
training step (a convolution's shape error), or, for a wrong stride, not fail at all: anchors
and pooled regions would sit at the wrong places. :func:`probe_backbone` runs the module once on
a small blank batch when the detector is built and names the first mismatch.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

__all__ = ["probe_backbone"]


def probe_backbone(backbone: nn.Module, contract: str) -> None:
    """Run ``backbone`` on a blank ``[1, 3, S, S]`` batch (``S`` = 4 x its largest declared
    stride, so every level's map is a whole number of pixels) and check its output against its
    ``out_channels`` and ``strides``.

    The pass runs in eval mode under ``torch.no_grad`` (BatchNorm statistics are not updated)
    on the device of the module's first parameter or buffer, and the module's mode is put back.

    Args:
        backbone: a module whose ``out_channels`` and ``strides`` dicts have the same keys
            (:func:`~detseg.detection.builder_parts.check_backbone_module`).
        contract: the sentence that ends each message (what the backbone contract is).

    Raises:
        ValueError: the output is not a dict of tensors; its levels are not the declared ones
            in the declared order; a level's tensor is not ``[1, C, h, w]`` with the declared
            ``C``, or its ``h, w`` differ from ``S / stride`` by more than one pixel.
    """
    name = type(backbone).__name__
    channels: Mapping[str, int] = backbone.out_channels  # type: ignore[assignment]
    strides: Mapping[str, int] = backbone.strides  # type: ignore[assignment]
    size = 4 * max(int(s) for s in strides.values())
    features = _forward_once(backbone, size)
    if not isinstance(features, Mapping) or not all(
        isinstance(v, Tensor) for v in features.values()
    ):
        raise ValueError(
            f"backbone module {name} returned {type(features).__name__}, not a dict of tensors; "
            f"{contract}"
        )
    if list(features) != list(channels):
        raise ValueError(
            f"backbone module {name} returned the levels {list(features)} but declares "
            f"{list(channels)} in out_channels; {contract}"
        )
    for level, feature in features.items():
        expected = size / int(strides[level])
        if feature.dim() != 4 or feature.shape[1] != int(channels[level]):
            raise ValueError(
                f"backbone module {name}: level {level!r} has shape {tuple(feature.shape)} on a "
                f"[1, 3, {size}, {size}] input, but out_channels declares "
                f"[1, {channels[level]}, h, w]; {contract}"
            )
        if any(abs(side - expected) > 1 for side in feature.shape[-2:]):
            raise ValueError(
                f"backbone module {name}: level {level!r} is {feature.shape[-2]} x "
                f"{feature.shape[-1]} on a {size} x {size} input, but its declared stride "
                f"{strides[level]} gives {expected:g} x {expected:g}; fix strides (anchors and "
                f"pooled regions are placed by it); {contract}"
            )


def _forward_once(backbone: nn.Module, size: int) -> object:
    """``backbone`` on a blank ``[1, 3, size, size]`` batch, in eval mode without gradients."""
    tensor = next(iter([*backbone.parameters(), *backbone.buffers()]), None)
    device = tensor.device if tensor is not None else torch.device("cpu")
    training = backbone.training
    backbone.eval()
    try:
        with torch.no_grad():
            return backbone(torch.zeros(1, 3, size, size, device=device))
    finally:
        backbone.train(training)
