"""What the detector builders (Faster R-CNN, RetinaNet, SSD, YOLO) share.

- :func:`backbone_defaults`: torchvision's training defaults for the plain backbone under a
  detector (frozen BatchNorm and 3 trainable stages with pretrained weights; trainable
  BatchNorm from scratch). The backbone itself comes from
  :func:`detseg.backbones.build_model_backbone` (PyTorch's BatchNorm momentum from scratch);
  :func:`scratch_norm_momentum` gives that momentum rule to SSD, which builds its network
  itself.
- :func:`preset_signature`: a preset builder's signature, so ``build_model`` can check the
  keyword arguments of a config against it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
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


def preset_signature(builder: Callable[..., Any], defaults: dict[str, Any]) -> inspect.Signature:
    """``builder``'s signature with a preset's defaults (so ``build_model`` can check kwargs)."""
    signature = inspect.signature(builder)
    params = [
        p.replace(default=defaults.get(p.name, p.default)) for p in signature.parameters.values()
    ]
    return signature.replace(parameters=params)
