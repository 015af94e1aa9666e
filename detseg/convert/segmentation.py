"""torchvision ``FCN`` / ``DeepLabV3`` / ``LRASPP`` -> detseg ``SegmentationModel``.

The architecture is read from the torchvision instance (backbone depth and dilation, returned
layers, aux head, ASPP rates, LR-ASPP width, class count, norm type) and rebuilt with detseg's
family builders; the weights are copied through ``_rules`` (regular expressions tried in order
on each torchvision key; an unmatched key, a missing key or a shape mismatch is an error).
Norm ``eps``/``momentum``, each parameter's ``requires_grad`` and the train/eval mode are copied.

Class count: torchvision's ``num_classes`` includes background; detseg's builders take the
foreground count, so a torchvision model with ``C`` outputs becomes ``num_classes = C - 1``
with the same ``C`` logits (channel 0 = background).

Normalisation: torchvision's segmentation models take *normalised* images, detseg models take
``[0, 1]`` images and normalise with ``image_mean``/``image_std`` (ImageNet, what torchvision's
``SemanticSegmentation`` preset uses). Hence ``detseg(x) == tv((x - mean) / std)["out"]``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torchvision.ops import FrozenBatchNorm2d

from detseg.backbones.mobilenet import MOBILENET_LEVELS, mobilenet_stage_indices
from detseg.convert.common import TorchvisionModule, copy_state, map_keys
from detseg.segmentation.builders import deeplabv3, fcn, lraspp

_RESNET_DEPTHS = {(3, 4, 6, 3): "resnet50", (3, 4, 23, 3): "resnet101"}
_RESNET_LEVEL = {"layer1": "c2", "layer2": "c3", "layer3": "c4", "layer4": "c5"}
_NORMS = (nn.BatchNorm2d, FrozenBatchNorm2d)


def _resnet_kwargs(body: TorchvisionModule) -> tuple[dict[str, Any], dict[str, str]]:
    """Builder kwargs of a torchvision ResNet body and its ``{tv name: level}`` returns."""
    if type(body.layer1[0]).__name__ != "Bottleneck":
        raise ValueError("only ResNet-50/101 (Bottleneck) segmentation backbones are supported")
    depths = tuple(len(getattr(body, f"layer{i}")) for i in range(1, 5))
    if depths not in _RESNET_DEPTHS:
        raise ValueError(f"unsupported ResNet with blocks {depths}: ResNet-50/101 only")
    dilated = [getattr(body, f"layer{i}")[0].conv2.stride == (1, 1) for i in (2, 3, 4)]
    strides = {(False, False, False): 32, (False, False, True): 16, (False, True, True): 8}
    if tuple(dilated) not in strides:
        raise ValueError(f"unsupported replace_stride_with_dilation {dilated}")
    levels = {name: _RESNET_LEVEL[layer] for layer, name in body.return_layers.items()}
    kwargs = {"backbone": _RESNET_DEPTHS[depths], "output_stride": strides[tuple(dilated)]}
    return kwargs, levels


def _mobilenet_kwargs(body: TorchvisionModule) -> tuple[dict[str, Any], dict[str, str]]:
    """Builder kwargs of a torchvision MobileNetV3-Large ``features`` body and its returns."""
    blocks = list(body.children())
    if not type(blocks[1]).__module__.endswith("mobilenetv3") or len(blocks) != 17:
        raise ValueError("only MobileNetV3-Large segmentation backbones are supported")
    if blocks[-1].out_channels != 960:
        raise ValueError(
            f"width_mult != 1 is not supported (last conv has "
            f"{blocks[-1].out_channels} channels, expected 960)"
        )
    stages = mobilenet_stage_indices(blocks)
    levels = {
        name: MOBILENET_LEVELS[stages.index(int(index))]
        for index, name in body.return_layers.items()
    }
    dilated = any(m.dilation[0] > 1 for m in blocks[-1 - 3].modules() if isinstance(m, nn.Conv2d))
    kwargs = {"backbone": "mobilenet_v3_large", "output_stride": 16 if dilated else 32}
    return kwargs, levels


def _backbone_kwargs(
    tv_model: TorchvisionModule, expected: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """Backbone kwargs; checks that the returned levels are the ones detseg's builder uses.

    Args:
        tv_model: the torchvision model.
        expected: ``{tv return name ("out", "aux", "low", "high"): {family: detseg level}}``.
    """
    body = tv_model.backbone
    is_resnet = hasattr(body, "layer1")
    kwargs, levels = _resnet_kwargs(body) if is_resnet else _mobilenet_kwargs(body)
    family = "resnet" if is_resnet else "mobilenet"
    wanted = {name: expected.get(name, {}).get(family) for name in levels}
    if levels != wanted:
        raise ValueError(
            f"unsupported {family} backbone return layers {levels}; detseg builds "
            f"{ {n: lv[family] for n, lv in expected.items() if family in lv} }"
        )
    norms = {type(m) for m in body.modules() if isinstance(m, _NORMS)}
    if len(norms) != 1:
        raise ValueError(
            f"the backbone needs one norm type, got {sorted(n.__name__ for n in norms)}"
        )
    kwargs["norm"] = "frozen_bn" if norms == {FrozenBatchNorm2d} else "bn"
    return kwargs


_OUT_AUX = {"out": {"resnet": "c5", "mobilenet": "c5"}, "aux": {"resnet": "c4", "mobilenet": "c3"}}
_LOW_HIGH = {"low": {"mobilenet": "c3"}, "high": {"mobilenet": "c5"}}


def _num_classes(logits_conv: nn.Conv2d) -> int:
    channels = logits_conv.out_channels
    if channels < 2:
        raise ValueError(
            f"the torchvision model has {channels} output class(es); detseg needs "
            "background + at least one foreground class"
        )
    return channels - 1


def _check_fcn_head(head: TorchvisionModule, where: str) -> None:
    """torchvision's ``FCNHead`` is a Sequential ``conv, bn, relu, dropout, conv``."""
    conv = head[0]
    if len(head) != 5 or conv.out_channels != conv.in_channels // 4:
        raise ValueError(f"unsupported {where}: expected torchvision's FCNHead")


def _backbone_rules(tv_model: TorchvisionModule) -> list[tuple[str, str]]:
    if hasattr(tv_model.backbone, "layer1"):
        return [(r"^backbone\.(.+)$", r"backbone.\1")]
    return [(r"^backbone\.(\d+)\.(.+)$", r"backbone.features.\1.\2")]


def _fcn_head_rules(tv_prefix: str, prefix: str) -> list[tuple[str, str]]:
    return [
        (rf"^{tv_prefix}\.0\.weight$", rf"{prefix}.block.conv.weight"),
        (rf"^{tv_prefix}\.1\.(.+)$", rf"{prefix}.block.bn.\1"),
        (rf"^{tv_prefix}\.4\.(weight|bias)$", rf"{prefix}.classifier.\1"),
    ]


def _deeplab_head_rules(num_rates: int) -> list[tuple[str, str]]:
    pool = num_rates + 1  # index of the pooling branch in ASPP.convs
    return [
        (rf"^classifier\.0\.convs\.{pool}\.1\.weight$", "head.aspp.pooling.conv.weight"),
        (rf"^classifier\.0\.convs\.{pool}\.2\.(.+)$", r"head.aspp.pooling.bn.\1"),
        (r"^classifier\.0\.convs\.(\d+)\.0\.weight$", r"head.aspp.branches.\1.conv.weight"),
        (r"^classifier\.0\.convs\.(\d+)\.1\.(.+)$", r"head.aspp.branches.\1.bn.\2"),
        (r"^classifier\.0\.project\.0\.weight$", "head.aspp.project.conv.weight"),
        (r"^classifier\.0\.project\.1\.(.+)$", r"head.aspp.project.bn.\1"),
        (r"^classifier\.1\.weight$", "head.block.conv.weight"),
        (r"^classifier\.2\.(.+)$", r"head.block.bn.\1"),
        (r"^classifier\.4\.(weight|bias)$", r"head.classifier.\1"),
    ]


_LRASPP_RULES = [
    (r"^classifier\.cbr\.0\.weight$", "head.cbr.conv.weight"),
    (r"^classifier\.cbr\.1\.(.+)$", r"head.cbr.bn.\1"),
    (r"^classifier\.scale\.1\.weight$", "head.scale.weight"),
    (r"^classifier\.(low|high)_classifier\.(weight|bias)$", r"head.\1_classifier.\2"),
]


def _copy_weights(tv_model: nn.Module, model: nn.Module, rules: list[tuple[str, str]]) -> None:
    """Copy the state dict through ``rules`` (norm eps/momentum and requires_grad with it),
    then the train / eval mode.

    Raises:
        KeyError: a torchvision key matches no rule, or the key sets do not correspond.
        ValueError: a tensor's shape differs from the detseg one.
    """
    with torch.no_grad():
        copy_state(tv_model, model, map_keys(tv_model, model, rules))
    model.train(tv_model.training)


def convert_fcn(tv_model: TorchvisionModule) -> tuple[nn.Module, dict[str, Any]]:
    """torchvision ``FCN`` (``fcn_resnet50/101``) -> ``(detseg model, model config)``."""
    _check_fcn_head(tv_model.classifier, "classifier")
    aux = tv_model.aux_classifier is not None
    if aux:
        _check_fcn_head(tv_model.aux_classifier, "aux_classifier")
    kwargs = {**_backbone_kwargs(tv_model, _OUT_AUX), "aux_loss": aux}
    num_classes = _num_classes(tv_model.classifier[4])
    model = fcn(num_classes, **kwargs)
    rules = _backbone_rules(tv_model) + _fcn_head_rules(r"classifier", "head")
    rules += _fcn_head_rules(r"aux_classifier", "aux_head")
    _copy_weights(tv_model, model, rules)
    return model, {"name": "fcn", **kwargs}


def convert_deeplabv3(tv_model: TorchvisionModule) -> tuple[nn.Module, dict[str, Any]]:
    """torchvision ``DeepLabV3`` (ResNet-50/101, MobileNetV3-Large) -> ``(model, config)``."""
    head = tv_model.classifier
    aspp = head[0]
    if len(head) != 5 or aspp.project[0].out_channels != 256:
        raise ValueError("unsupported classifier: expected torchvision's DeepLabHead (256 ch)")
    rates = [int(branch[0].dilation[0]) for branch in list(aspp.convs)[1:-1]]
    aux = tv_model.aux_classifier is not None
    if aux:
        _check_fcn_head(tv_model.aux_classifier, "aux_classifier")
    kwargs = {**_backbone_kwargs(tv_model, _OUT_AUX), "atrous_rates": rates, "aux_loss": aux}
    model = deeplabv3(_num_classes(head[4]), **kwargs)
    rules = _backbone_rules(tv_model) + _deeplab_head_rules(len(rates))
    rules += _fcn_head_rules(r"aux_classifier", "aux_head")
    _copy_weights(tv_model, model, rules)
    return model, {"name": "deeplabv3", **kwargs}


def convert_lraspp(tv_model: TorchvisionModule) -> tuple[nn.Module, dict[str, Any]]:
    """torchvision ``LRASPP`` (``lraspp_mobilenet_v3_large``) -> ``(model, config)``."""
    head = tv_model.classifier
    kwargs = {
        **_backbone_kwargs(tv_model, _LOW_HIGH),
        "inter_channels": int(head.cbr[0].out_channels),
    }
    model = lraspp(_num_classes(head.low_classifier), **kwargs)
    _copy_weights(tv_model, model, _backbone_rules(tv_model) + _LRASPP_RULES)
    return model, {"name": "lraspp", **kwargs}


# torchvision class name -> converter returning (detseg model, model config dict)
CONVERTERS = {
    "FCN": convert_fcn,
    "DeepLabV3": convert_deeplabv3,
    "LRASPP": convert_lraspp,
}
