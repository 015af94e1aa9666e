"""torchvision ``MaskRCNN`` -> detseg ``MaskRCNN`` (ResNet-FPN v1 and v2 and their variants).

The Faster R-CNN part is read and mapped as :mod:`detseg.convert.faster_rcnn` does; the mask
branch adds its RoIAlign settings (``mask_roi_pool``), the conv stack (``MaskRCNNHeads``: conv
+ optional BatchNorm + ReLU blocks) and the predictor (``MaskRCNNPredictor``: deconvolution,
ReLU, 1x1 logits):

- ``roi_heads.mask_head.<i>.<j>.*`` -> ``mask_head.convs.<i>.<j>.*``
- ``roi_heads.mask_predictor.conv5_mask.*`` -> ``mask_head.deconv.*``
- ``roi_heads.mask_predictor.mask_fcn_logits.*`` -> ``mask_head.logits.*``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from detseg.convert.common import TorchvisionModule, copy_state, map_keys, transform_kwargs
from detseg.convert.faster_rcnn import (
    _KEY_RULES,
    _backbone_kwargs,
    _conv_head_rules,
    _roi_kwargs,
    _rpn_kwargs,
)
from detseg.detection.mask_rcnn import mask_rcnn

_MASK_KEY_RULES: list[tuple[str, str]] = [
    (r"^roi_heads\.mask_head\.(\d+)\.([01])\.(.+)$", r"mask_head.convs.\1.\2.\3"),
    (r"^roi_heads\.mask_predictor\.conv5_mask\.(weight|bias)$", r"mask_head.deconv.\1"),
    (r"^roi_heads\.mask_predictor\.mask_fcn_logits\.(weight|bias)$", r"mask_head.logits.\1"),
]


def _mask_kwargs(roi_heads: TorchvisionModule, num_classes: int) -> dict[str, Any]:
    """The ``mask_*`` builder arguments of a torchvision ``RoIHeads`` with a mask branch.

    Raises:
        ValueError: a mask branch detseg does not build (another pooler, head or predictor).
    """
    pool, box_pool = roi_heads.mask_roi_pool, roi_heads.box_roi_pool
    if type(pool).__name__ != "MultiScaleRoIAlign" or (
        list(pool.featmap_names),
        pool.canonical_scale,
        pool.canonical_level,
    ) != (list(box_pool.featmap_names), 224, 4):
        raise ValueError(f"unsupported mask_roi_pool {pool} (must pool the box levels)")
    if pool.output_size[0] != pool.output_size[1]:
        raise ValueError(f"mask_roi_pool output {pool.output_size} is not square")
    head, predictor = roi_heads.mask_head, roi_heads.mask_predictor
    if type(head).__name__ != "MaskRCNNHeads" or type(predictor).__name__ != "MaskRCNNPredictor":
        raise ValueError(
            f"unsupported mask head {type(head).__name__} / predictor {type(predictor).__name__}"
        )
    convs = [block[0] for block in head]
    norms = {type(block[1]).__name__ if len(block) == 3 else None for block in head}
    if norms not in ({None}, {"BatchNorm2d"}):
        raise ValueError(f"unsupported mask head norm layers {sorted(map(str, norms))}")
    dilations = {(c.kernel_size, c.dilation, c.padding) for c in convs}
    if len(dilations) != 1 or any(k != (3, 3) or d != p for k, d, p in dilations):
        raise ValueError(f"unsupported mask head convs (kernel, dilation, padding) {dilations}")
    logits = predictor.mask_fcn_logits
    if logits.out_channels != num_classes + 1:
        raise ValueError(
            f"the mask predictor has {logits.out_channels} channels for {num_classes + 1} "
            "classes; only one channel per class (background included) is supported"
        )
    return {
        "mask_pool_size": int(pool.output_size[0]),
        "mask_sampling_ratio": int(pool.sampling_ratio),
        "mask_layers": [int(c.out_channels) for c in convs],
        "mask_dilation": int(convs[0].dilation[0]),
        "mask_norm": None if norms == {None} else "bn",
        "mask_dim_reduced": int(predictor.conv5_mask.out_channels),
    }


def mask_rcnn_config_from_torchvision(tv_model: TorchvisionModule) -> tuple[dict[str, Any], int]:
    """The ``{"name": "mask_rcnn", **kwargs}`` config and ``num_classes`` (foreground) of a
    torchvision ``MaskRCNN`` instance (every setting read from the instance)."""
    roi_heads = tv_model.roi_heads
    if not roi_heads.has_mask() or roi_heads.has_keypoint():
        raise ValueError("a Mask R-CNN needs a mask branch and no keypoint branch")
    num_classes = roi_heads.box_predictor.cls_score.out_features - 1
    levels = list(tv_model.backbone.body.return_layers.values())
    pooled = [n for n in levels if n in roi_heads.box_roi_pool.featmap_names]
    if pooled != levels:
        raise ValueError(
            f"RoIs pool from {pooled}; only pooling every FPN level but the extra "
            f"one ({levels}) is supported"
        )
    cfg = {
        "name": "mask_rcnn",
        **_backbone_kwargs(tv_model.backbone),
        **transform_kwargs(tv_model.transform),
        **_rpn_kwargs(tv_model.rpn),
        **_roi_kwargs(roi_heads),
        **_mask_kwargs(roi_heads, num_classes),
    }
    return cfg, num_classes


def map_state_dict_keys(tv_model: TorchvisionModule, model: nn.Module) -> dict[str, str]:
    """torchvision key -> detseg key for every entry of both state dicts.

    Raises:
        KeyError: a torchvision key matches no rule, two keys map to one, or detseg keys are
            left without a source.
    """
    rules = _MASK_KEY_RULES + _conv_head_rules(tv_model.roi_heads.box_head) + _KEY_RULES
    if hasattr(tv_model.backbone.body, "layer1"):  # ResNet body (not numbered MobileNet blocks)
        rules = [r for r in rules if "features" not in r[1]]
    else:
        rules = [r for r in rules if r[1] != r"backbone.body.\1"]
    return map_keys(tv_model, model, rules)


def convert_mask_rcnn(tv_model: nn.Module) -> tuple[nn.Module, dict[str, Any]]:
    """Convert a torchvision ``MaskRCNN`` (both torchvision presets and their hyper-parameter
    variants) into ``(detseg MaskRCNN, model config)``."""
    cfg, num_classes = mask_rcnn_config_from_torchvision(tv_model)
    model = mask_rcnn(num_classes, **{k: v for k, v in cfg.items() if k != "name"})
    copy_state(tv_model, model, map_state_dict_keys(tv_model, model))
    model.train(tv_model.training)
    return model, cfg


CONVERTERS: dict[str, Callable[[nn.Module], tuple[nn.Module, dict[str, Any]]]] = {
    "MaskRCNN": convert_mask_rcnn,
}
