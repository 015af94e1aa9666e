"""torchvision ``SSD`` -> detseg ``SSD`` (``ssd300_vgg16``, ``ssdlite320_mobilenet_v3_large``
and their hyper-parameter variants).

torchvision's SSD has ``C`` softmax outputs, output 0 being background, and labels ``1..C-1``:
the converted model has ``K = C - 1`` foreground classes and the same labels. Every setting is
read from the instance; weights go through ``_KEY_RULES`` with the backbone keys unchanged
(except VGG's ``scale_weight`` -> ``l2norm.scale``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from detseg.convert.common import TorchvisionModule, copy_state, map_keys
from detseg.detection.ssd import ssd

_KEY_RULES: list[tuple[str, str]] = [
    (r"^backbone\.scale_weight$", r"backbone.l2norm.scale"),
    (r"^backbone\.(features|extra)\.(.+)$", r"backbone.\1.\2"),
    (r"^head\.classification_head\.module_list\.(.+)$", r"head.cls_logits.\1"),
    (r"^head\.regression_head\.module_list\.(.+)$", r"head.box_deltas.\1"),
]


def _vgg_kwargs(backbone: TorchvisionModule) -> dict[str, Any]:
    if len(backbone.extra) != 5:
        raise ValueError("only the 300 px VGG16 SSD is supported (not the high-resolution one)")
    convs = [m for m in backbone.features if isinstance(m, nn.Conv2d)]
    convs += [m for m in backbone.extra[0][:-1] if isinstance(m, nn.Conv2d)]
    blocks = [convs[i] for i in (0, 2, 4, 7, 10)]  # first conv of each VGG block
    trainable = sum(b.weight.requires_grad for b in blocks)
    return {"backbone": "vgg16", "trainable_layers": trainable, "head": "conv"}


def _mobilenet_trainable_layers(backbone: TorchvisionModule) -> int:
    """Stages that train, from the first trainable block of the original MobileNet (whose
    first stride-32 block is split between ``features[0][-1]`` and ``features[1][0]``)."""
    first, second = backbone.features
    blocks = [*first[:-1], nn.ModuleList([first[-1], second[0]]), *second[1:]]
    is_stage = [getattr(b, "_is_cn", False) for b in blocks]
    is_stage[len(first) - 1] = True
    stages = [0, *[i for i, flag in enumerate(is_stage) if flag], len(blocks) - 1]
    trainable = [i for i, b in enumerate(blocks) if any(p.requires_grad for p in b.parameters())]
    if not trainable:
        return 0
    return len(stages) - stages.index(trainable[0]) if trainable[0] in stages else len(stages)


def _mobilenet_kwargs(backbone: TorchvisionModule) -> dict[str, Any]:
    first, second = backbone.features
    if first[0][0].out_channels != 16:
        raise ValueError("only width_mult=1.0 SSDlite backbones are supported")
    last = second[-1].out_channels
    if last not in (480, 960):
        raise ValueError(f"unexpected MobileNetV3-Large last stage width {last}")
    return {
        "backbone": "mobilenet_v3_large",
        "reduced_tail": last == 480,
        "trainable_layers": _mobilenet_trainable_layers(backbone),
        "head": "separable",
    }


def ssd_config_from_torchvision(tv_model: TorchvisionModule) -> tuple[dict[str, Any], int]:
    """``({"name": "ssd", **kwargs}, num_classes)`` of a torchvision ``SSD`` instance."""
    kind = type(tv_model.backbone).__name__
    if kind == "SSDFeatureExtractorVGG":
        backbone = _vgg_kwargs(tv_model.backbone)
    elif kind == "SSDLiteFeatureExtractorMobileNet":
        backbone = _mobilenet_kwargs(tv_model.backbone)
    else:
        raise ValueError(f"unsupported torchvision SSD backbone {kind}")
    transform, generator = tv_model.transform, tv_model.anchor_generator
    size = transform.fixed_size
    if size is None or size[0] != size[1] or transform.size_divisible != 1:
        raise ValueError(f"only square fixed-size SSD inputs are supported, got {size}")
    if tuple(tv_model.box_coder.weights) != (10.0, 10.0, 5.0, 5.0):
        raise ValueError(f"SSD box coder weights {tv_model.box_coder.weights} != (10, 10, 5, 5)")
    norms = [m for m in tv_model.modules() if isinstance(m, nn.BatchNorm2d)]
    norm_momentum = None
    if norms:
        if norms[0].momentum is None:
            raise ValueError("cumulative-average BatchNorm (momentum=None) is not supported")
        norm_momentum = float(norms[0].momentum)
    cfg = {
        "name": "ssd",
        **backbone,
        "norm_momentum": norm_momentum,
        "size": int(size[0]),
        "image_mean": [float(v) for v in transform.image_mean],
        "image_std": [float(v) for v in transform.image_std],
        "aspect_ratios": [list(r) for r in generator.aspect_ratios],
        "scales": [float(s) for s in generator.scales],
        "steps": None if generator.steps is None else list(generator.steps),
        "clip": bool(generator.clip),
        "iou_thresh": float(tv_model.proposal_matcher.high_threshold),
        "neg_pos_ratio": float(tv_model.neg_to_pos_ratio),
        "score_thresh": float(tv_model.score_thresh),
        "topk_candidates": int(tv_model.topk_candidates),
        "nms_thresh": float(tv_model.nms_thresh),
        "detections_per_img": int(tv_model.detections_per_img),
    }
    return cfg, tv_model.head.classification_head.num_columns - 1


def convert_ssd(tv_model: nn.Module) -> tuple[nn.Module, dict[str, Any]]:
    """Convert a torchvision ``SSD`` into ``(detseg SSD, model config)``."""
    cfg, num_classes = ssd_config_from_torchvision(tv_model)
    model = ssd(num_classes, **{k: v for k, v in cfg.items() if k != "name"})
    mapping = map_keys(tv_model, model, _KEY_RULES)
    with torch.no_grad():
        copy_state(tv_model, model, mapping)
    model.train(tv_model.training)
    return model, cfg


CONVERTERS: dict[str, Callable[[nn.Module], tuple[nn.Module, dict[str, Any]]]] = {
    "SSD": convert_ssd,
}
