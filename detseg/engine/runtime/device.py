"""Devices and mixed precision: the device of a run, autocast, the gradient scaler, the memory
format of the weights, batches, GPU utilisation.

The device settings of a config resolve here, once per run: ``train.amp: auto`` is bf16 on a
GPU that supports it, fp16 (with the gradient scaler) on an older GPU, float32 on a CPU or MPS
(:func:`resolve_amp`); ``train.channels_last: auto`` is on for CUDA only
(:func:`resolve_channels_last`). On a CPU both leave the computation exactly as it is.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Literal

import torch
from torch import nn

logger = logging.getLogger(__name__)

AmpMode = Literal["none", "bf16", "fp16"]
_AMP_MODES: dict[str, AmpMode] = {"none": "none", "bf16": "bf16", "fp16": "fp16"}


def check_device_type(name: object) -> None:
    """Refuse a device that is no ``str``, ``int`` (a GPU index) or ``torch.device`` (``None``,
    a list, a bool) in one line, before ``torch.device`` answers with its overload list.

    Raises:
        TypeError: ``name`` of another type.
    """
    if isinstance(name, bool) or not isinstance(name, (str, int, torch.device)):
        raise TypeError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {name!r}")


def resolve_device(name: str | int | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; other names go to ``torch.device``.

    A device that this PyTorch build or this machine cannot run on is refused here, with a
    message saying what to use instead, rather than failing later on the first tensor.

    Raises:
        TypeError: ``name`` is no ``str``, ``int`` or ``torch.device`` (:func:`check_device_type`).
        ValueError: unknown device string, or a device that is not available: CUDA without a
            GPU, a GPU index past the visible ones, MPS without MPS support, the ``meta``
            device (shapes without data: a model moves there, and then nothing runs), any
            other type this PyTorch cannot allocate a tensor on.
    """
    check_device_type(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise ValueError(f"device {name!r} is not valid; use auto, cpu, cuda or cuda:N") from err
    problem = _unavailable_reason(device)
    if problem is not None:
        raise ValueError(f"device {name!r} asked for, but {problem}")
    return device


def _unavailable_reason(device: torch.device) -> str | None:
    """Why ``device`` cannot be used here, ending in what to use instead; ``None`` if it can."""
    if device.type == "cpu":
        return None
    if device.type == "cuda":
        return _cuda_unavailable_reason(device)
    if device.type == "meta":  # tensors of shapes alone: a model loads there, then fails deep
        return "the meta device holds no data, nothing can run on it; use auto, cpu or cuda"
    if device.type == "mps":
        if not torch.backends.mps.is_built():
            return "this PyTorch is not built with MPS support (Apple GPUs); use cpu or auto"
        if not torch.backends.mps.is_available():
            return "MPS is not available on this machine; use cpu or auto"
        return None
    try:  # any other type (xla, xpu ...): usable when a tensor can be put on it
        torch.empty(0, device=device)
    except Exception:  # noqa: BLE001 - NotImplementedError, AssertionError, import errors
        return f"this PyTorch cannot use {device.type!r} devices; use auto, cpu, cuda or cuda:N"
    return None


def _cuda_unavailable_reason(device: torch.device) -> str | None:
    """Why the CUDA ``device`` cannot be used (no CUDA, or an index past the visible GPUs)."""
    if not torch.cuda.is_available():
        return "CUDA is not available; use cpu or auto"
    count = torch.cuda.device_count()
    if device.index is not None and device.index >= count:
        gpus = "cuda:0" if count == 1 else f"cuda:0 to cuda:{count - 1}"
        return f"only {count} GPU(s) are visible; use {gpus}, cuda or auto"
    return None


def resolve_amp(amp: str, device: torch.device) -> AmpMode:
    """The mixed precision a run on ``device`` uses for ``train.amp``.

    Args:
        amp: ``"auto"``, ``"none"``, ``"bf16"`` or ``"fp16"``.
        device: where the model runs.

    Returns:
        ``"none"`` on every device but CUDA (autocast is CUDA-only here, so a CPU run stays
        float32, bit for bit the same as with ``train.amp: none``); on CUDA ``"auto"`` is
        ``"bf16"`` where the GPU computes in bfloat16 natively
        (``torch.cuda.is_bf16_supported``, Ampere and later), else ``"fp16"``; ``"none"``,
        ``"bf16"`` and ``"fp16"`` stay as asked.

    Raises:
        ValueError: an unknown ``amp``.
    """
    if amp != "auto" and amp not in _AMP_MODES:
        raise ValueError(f"train.amp must be auto, none, bf16 or fp16, got {amp!r}")
    if device.type != "cuda":
        return "none"
    if amp == "auto":
        with torch.cuda.device(device):
            native_bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
        return "bf16" if native_bf16 else "fp16"
    return _AMP_MODES[amp]


def unused_amp_note(amp: str, device: torch.device) -> str | None:
    """A warning for a ``train.amp`` of ``"bf16"`` or ``"fp16"`` asked on a device where
    :func:`resolve_amp` runs float32 (every device but CUDA), else ``None``: the start-up line
    says ``amp none`` too, but the run does not do what its config says."""
    if amp not in ("bf16", "fp16") or device.type == "cuda":
        return None
    return (
        f"train.amp={amp} has no effect on {device.type}: mixed precision runs on CUDA only, so "
        "this run computes in float32 (train.amp: auto picks bf16 or fp16 where a GPU has it)"
    )


def autocast_context(device: torch.device, amp: str) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for ``amp`` (resolved by :func:`resolve_amp`, so ``"auto"`` is
    accepted too) on CUDA; a no-op on other devices or with ``"none"``."""
    mode = resolve_amp(amp, device)
    if mode == "none":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if mode == "bf16" else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


def build_grad_scaler(device: torch.device, amp: str) -> torch.amp.GradScaler:
    """Gradient scaler, enabled only for fp16 on CUDA (bf16 needs none); ``amp`` as for
    :func:`autocast_context`."""
    return torch.amp.GradScaler("cuda", enabled=resolve_amp(amp, device) == "fp16")


def resolve_channels_last(setting: bool | str, device: torch.device) -> bool:
    """Whether the model's weights go to ``torch.channels_last`` (``train.channels_last``).

    ``"auto"`` is ``True`` on CUDA (cuDNN's NHWC convolutions, the tensor cores' layout under
    bf16 / fp16) and ``False`` elsewhere; ``True`` / ``False`` stay as asked (``True`` works on
    a CPU too).

    Raises:
        ValueError: a value other than ``"auto"``, ``True`` or ``False``.
    """
    if isinstance(setting, bool):
        return setting
    if setting != "auto":
        raise ValueError(f"train.channels_last must be auto, true or false, got {setting!r}")
    return device.type == "cuda"


def to_channels_last(model: nn.Module) -> nn.Module:
    """``model`` (in place) with its 4-d weights in ``torch.channels_last`` memory format.

    Inputs can stay NCHW: a convolution with channels-last weights gives channels-last
    outputs, and the layers after it follow. Values, shapes and state-dict keys do not change;
    a checkpoint written from such a model loads into an NCHW one and back. Call it after the
    model is on its device (``Module.to(device)`` keeps the format of each tensor).
    """
    return model.to(memory_format=torch.channels_last)


#: Set once reading the GPU utilisation failed (no ``pynvml``, no NVML): not tried again.
_utilization_unavailable = False


def gpu_utilization(device: torch.device) -> float | None:
    """Percent of the last sample period (1/6 s to 1 s) in which a kernel ran on ``device``.

    ``None`` on a device other than CUDA, or when ``torch.cuda.utilization`` cannot read it
    (it needs the ``pynvml`` module of ``nvidia-ml-py``); after one failure it is not asked
    again.
    """
    global _utilization_unavailable
    if device.type != "cuda" or _utilization_unavailable:
        return None
    try:
        return float(torch.cuda.utilization(device))
    except Exception as err:  # noqa: BLE001 - ModuleNotFoundError, NVML errors, driver errors
        _utilization_unavailable = True
        logger.debug("GPU utilisation not available: %s", err)
        return None


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
