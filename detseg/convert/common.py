"""Conversion helpers shared by the torchvision -> detseg converters.

- :func:`map_keys` and :func:`copy_state`: the state-dict mapping (regular expressions tried
  in order on each torchvision key) and the copy of the weights, norm ``eps``/``momentum``
  and ``requires_grad`` through it.
- :func:`norm_of`, :func:`resnet_backbone_kwargs`, :func:`transform_kwargs`: builder keyword
  arguments read from the ResNet body and the ``GeneralizedRCNNTransform`` of a torchvision
  detector (Faster R-CNN and RetinaNet).
- :data:`TorchvisionModule`: the type of a torchvision module whose own attributes a converter
  reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeAlias

from torch import Tensor, nn
from torchvision.ops import FrozenBatchNorm2d

TorchvisionModule: TypeAlias = Any
"""A torchvision module whose own attributes a converter reads (``rpn.anchor_generator.sizes``,
``transform.min_size``, ``body.return_layers``, ...). torchvision ships no type information and
``nn.Module.__getattr__`` would type every such attribute as ``Tensor | Module``, so these
reads are untyped: a missing attribute raises ``AttributeError`` when the converter runs."""

_RESNET_DEPTHS: dict[tuple[str, tuple[int, ...]], str] = {
    ("BasicBlock", (2, 2, 2, 2)): "resnet18",
    ("BasicBlock", (3, 4, 6, 3)): "resnet34",
    ("Bottleneck", (3, 4, 6, 3)): "resnet50",
    ("Bottleneck", (3, 4, 23, 3)): "resnet101",
}
_RESNET_LEVEL = {"layer1": "c2", "layer2": "c3", "layer3": "c4", "layer4": "c5"}
_RESNET_TRAIN_ORDER = ("layer4", "layer3", "layer2", "layer1", "conv1")


def map_keys(tv_model: nn.Module, model: nn.Module, rules: list[tuple[str, str]]) -> dict[str, str]:
    """torchvision key -> detseg key through ``rules`` (first matching pattern wins).

    Raises:
        KeyError: a torchvision key matches no rule, or the two key sets do not correspond
            one to one.
    """
    mapping: dict[str, str] = {}
    for key in tv_model.state_dict():
        for pattern, replacement in rules:
            if re.match(pattern, key):
                mapping[key] = re.sub(pattern, replacement, key)
                break
        else:
            raise KeyError(f"torchvision key '{key}' has no mapping to detseg")
    mapped, targets = list(mapping.values()), set(model.state_dict())
    unknown, missing = sorted(set(mapped) - targets), sorted(targets - set(mapped))
    if unknown or missing or len(set(mapped)) != len(mapped):
        raise KeyError(
            f"state-dict mapping mismatch: mapped to unknown keys {unknown[:5]}, "
            f"detseg keys without a source {missing[:5]}"
        )
    return mapping


def copy_state(
    tv_model: nn.Module,
    model: nn.Module,
    mapping: dict[str, str],
    transforms: dict[str, Callable[[Tensor], Tensor]] | None = None,
) -> None:
    """Copy tensors through ``mapping`` (``transforms[tv_key]`` reshapes some of them), then
    norm ``eps``/``momentum`` and each parameter's ``requires_grad``, module by module.

    Raises:
        ValueError: a tensor's shape differs from the detseg one.
    """
    transforms = transforms or {}
    tv_state, target = tv_model.state_dict(), model.state_dict()
    state = {}
    for tv_key, key in mapping.items():
        value = transforms.get(tv_key, lambda t: t)(tv_state[tv_key])
        if value.shape != target[key].shape:
            raise ValueError(
                f"shape mismatch {tv_key} {tuple(value.shape)} -> {key} {tuple(target[key].shape)}"
            )
        state[key] = value
    model.load_state_dict(state)
    tv_modules, modules = dict(tv_model.named_modules()), dict(model.named_modules())
    tv_params, params = dict(tv_model.named_parameters()), dict(model.named_parameters())
    for tv_key, key in mapping.items():
        tv_module, module = tv_modules[tv_key.rsplit(".", 1)[0]], modules[key.rsplit(".", 1)[0]]
        for attr in ("eps", "momentum"):
            if hasattr(tv_module, attr) and hasattr(module, attr):
                setattr(module, attr, getattr(tv_module, attr))
        if tv_key in tv_params:
            params[key].requires_grad_(tv_params[tv_key].requires_grad)


def norm_of(body: nn.Module) -> tuple[str, float]:
    """``("frozen_bn" | "bn", eps)`` of the first norm layer of the torchvision body."""
    for module in body.modules():
        if isinstance(module, FrozenBatchNorm2d):
            return "frozen_bn", float(module.eps)
        if isinstance(module, nn.BatchNorm2d):
            return "bn", float(module.eps)
    raise ValueError("the torchvision backbone has no BatchNorm2d / FrozenBatchNorm2d layer")


def resnet_backbone_kwargs(body: TorchvisionModule) -> dict[str, Any]:
    """``backbone``, ``return_layers`` and ``trainable_layers`` of a torchvision ResNet body
    (an ``IntermediateLayerGetter`` over ``layer1..layer4``).

    Raises:
        ValueError: a ResNet depth detseg does not build.
    """
    block = type(body.layer1[0]).__name__
    depths = tuple(len(getattr(body, f"layer{i}")) for i in range(1, 5))
    if (block, depths) not in _RESNET_DEPTHS:
        raise ValueError(f"unsupported torchvision ResNet ({block}, blocks {depths})")
    trainable = sum(
        any(p.requires_grad for n, p in body.named_parameters() if n.startswith(prefix))
        for prefix in _RESNET_TRAIN_ORDER
    )
    levels = [_RESNET_LEVEL[name] for name in body.return_layers]
    return {
        "backbone": _RESNET_DEPTHS[(block, depths)],
        "return_layers": levels,
        "trainable_layers": trainable,
    }


def transform_kwargs(transform: TorchvisionModule) -> dict[str, Any]:
    """``min_size``, ``max_size``, ``fixed_size`` (as ``(H, W)``), ``image_mean`` and
    ``image_std`` of a torchvision ``GeneralizedRCNNTransform``.

    Raises:
        ValueError: ``size_divisible`` other than 32.
    """
    if transform.size_divisible != 32:
        raise ValueError(f"size_divisible={transform.size_divisible} is not supported (32 only)")
    min_size = tuple(transform.min_size)
    fixed = transform.fixed_size
    return {
        "min_size": min_size[0] if len(min_size) == 1 else list(min_size),
        "max_size": int(transform.max_size),
        "fixed_size": None if fixed is None else [int(fixed[1]), int(fixed[0])],  # (W,H)->(H,W)
        "image_mean": [float(v) for v in transform.image_mean],
        "image_std": [float(v) for v in transform.image_std],
    }
