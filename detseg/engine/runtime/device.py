"""Devices and mixed precision: the device of a run, autocast, the gradient scaler, batches."""

from __future__ import annotations

import contextlib
from typing import Any, Literal

import torch

AmpMode = Literal["none", "bf16", "fp16"]


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; other names go to ``torch.device``.

    Raises:
        ValueError: unknown device string, or CUDA asked for but not available.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise ValueError(f"device {name!r} is not valid; use auto, cpu, cuda or cuda:N") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available; use cpu or auto")
    return device


def autocast_context(device: torch.device, amp: AmpMode) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for ``amp`` on CUDA; a no-op on other devices or with ``"none"``."""
    if amp == "none" or device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


def build_grad_scaler(device: torch.device, amp: AmpMode) -> torch.amp.GradScaler:
    """Gradient scaler, enabled only for fp16 on CUDA (bf16 needs none)."""
    return torch.amp.GradScaler("cuda", enabled=amp == "fp16" and device.type == "cuda")


def move_batch(
    images: list[torch.Tensor], targets: list[dict[str, Any]], device: torch.device
) -> tuple[list[torch.Tensor], list[dict[str, Any]]]:
    """Copy images ``[3, H, W]`` and the tensor entries of each target to ``device``."""
    images = [image.to(device, non_blocking=True) for image in images]
    targets = [
        {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in t.items()}
        for t in targets
    ]
    return images, targets


def batch_on_device(batch: Any, device: torch.device) -> tuple[Any, Any]:
    """``(images, targets)`` of a detection ``Batch`` or ``(images, masks)`` of a ``SegBatch``.

    The second item is what ``model.losses`` takes after the images: target dicts (boxes xyxy
    px, labels) or masks ``Int64[B, H, W]``.
    """
    if hasattr(batch, "masks"):  # SegBatch: stacked images [B, 3, H, W], masks [B, H, W]
        on_device = batch.to(device, non_blocking=True)
        return on_device.images, on_device.masks
    return move_batch(batch.images, batch.targets, device)
