"""What the detector builders (Faster R-CNN, RetinaNet, SSD, YOLO) share.

- :func:`backbone_defaults`: torchvision's training defaults for the plain backbone under a
  detector (frozen BatchNorm and 3 trainable stages with pretrained weights; trainable
  BatchNorm from scratch). The backbone itself comes from
  :func:`detseg.backbones.build_model_backbone` (PyTorch's BatchNorm momentum from scratch);
  :func:`scratch_norm_momentum` gives that momentum rule to SSD, which builds its network
  itself.
- :func:`dataclass_from_dict`: a settings dataclass from a config dict, naming unknown keys.
- :func:`preset_signature`: a preset builder's signature, so ``build_model`` can check the
  keyword arguments of a config against it.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from detseg.backbones.base import (  # noqa: F401 (re-exported for the builders)
    SCRATCH_NORM_MOMENTUM,
    scratch_norm_momentum,
)


def check_num_classes(num_classes: int) -> None:
    """Raise ``ValueError`` unless ``num_classes`` (foreground classes ``K``) is >= 1."""
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1 (foreground classes), got {num_classes}")


def backbone_defaults(
    weights: str | None, norm: str | None, trainable_layers: int | None
) -> tuple[str, int | None]:
    """Fill in ``norm`` and ``trainable_layers`` left as ``None``.

    Args:
        weights: The backbone weights (``None``: random init).
        norm: ``"frozen_bn"``, ``"bn"`` or ``None``: frozen with weights, else ``"bn"``.
        trainable_layers: Stages that train, or ``None``: 3 with weights, else all (``None``).

    Returns:
        ``(norm, trainable_layers)``.
    """
    norm = norm or ("frozen_bn" if weights else "bn")
    if trainable_layers is None and weights:
        trainable_layers = 3
    return norm, trainable_layers


def dataclass_from_dict(
    cls: type, values: dict[str, Any] | None, where: str, as_tuple: Sequence[str] = ()
) -> Any:
    """``cls(**values)`` for a settings dataclass, checking the keys first.

    Args:
        cls: The dataclass.
        values: Its fields from a config (``None``: all defaults).
        where: The config key holding ``values`` (named in the error).
        as_tuple: Fields whose value is turned into a tuple (YAML gives lists).

    Raises:
        ValueError: For a key that is not a field of ``cls``, with the closest field name.
    """
    values = dict(values or {})
    valid = [f.name for f in dataclasses.fields(cls)]
    for key in values:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"unknown key '{key}' in {where}{hint}; valid keys: {valid}")
    for key in as_tuple:
        if key in values:
            values[key] = tuple(values[key])
    return cls(**values)


def preset_signature(builder: Callable[..., Any], defaults: dict[str, Any]) -> inspect.Signature:
    """``builder``'s signature with a preset's defaults (so ``build_model`` can check kwargs)."""
    signature = inspect.signature(builder)
    params = [
        p.replace(default=defaults.get(p.name, p.default)) for p in signature.parameters.values()
    ]
    return signature.replace(parameters=params)
