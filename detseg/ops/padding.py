"""Per-image tensors of different lengths as one padded batch, so that batched ops replace
per-image Python loops (and the host synchronisations they bring on a GPU)."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn.utils.rnn import pad_sequence


def pad_rows(
    tensors: list[Tensor], padding_value: float = 0.0, min_width: int = 0
) -> tuple[Tensor, Tensor]:
    """Stack ``[N_i, ...]`` tensors into ``[B, M, ...]``, padding at the end.

    Args:
        tensors: one tensor per image, equal in every dimension but the first (``N_i = 0`` is
            fine).
        padding_value: the value of the padding entries.
        min_width: ``M`` is at least this (e.g. 1, so that gathering from an all-empty batch
            needs no special case).

    Returns:
        ``(padded, valid)``: the ``[B, M, ...]`` tensor and a Bool ``[B, M]`` mask of the real
        rows (``M = max(N_i, min_width)``, known on the host from the shapes: no
        synchronisation).
    """
    counts = [t.shape[0] for t in tensors]
    padded = pad_sequence(tensors, batch_first=True, padding_value=padding_value)
    width = padded.shape[1]
    if width < min_width:
        padded = torch.cat(
            [
                padded,
                padded.new_full(
                    (len(tensors), min_width - width, *padded.shape[2:]), padding_value
                ),
            ],
            dim=1,
        )
        width = min_width
    valid = (
        torch.arange(width, device=padded.device)[None]
        < host_values(counts, padded.device)[:, None]
    )
    return padded, valid


def host_values(values: list, device: torch.device, dtype: torch.dtype | None = None) -> Tensor:
    """A tensor of Python values (image sizes, counts) on ``device``, without a host sync.

    A plain ``torch.tensor(values, device="cuda")`` copies from pageable memory, which makes the
    host wait for the GPU to finish all queued work. Here the values go through pinned memory
    with a non-blocking copy, queued behind that work.

    Args:
        values: Python numbers, or equal-length lists of them (e.g. ``[(h, w), ...]``).
        device: Device of the result.
        dtype: dtype of the result; ``None`` infers it as ``torch.tensor`` does.

    Returns:
        A tensor of the shape of ``values`` (``[B]`` or ``[B, 2]`` for the uses above).
    """
    tensor = torch.tensor(values, dtype=dtype)
    if device.type != "cuda":
        return tensor.to(device)
    return tensor.pin_memory().to(device, non_blocking=True)


def host_reads_are_free(device: torch.device) -> bool:
    """Whether the host may read values of tensors on ``device`` without waiting for it.

    True on the CPU, where a tensor's values already are in host memory. Code that needs a
    value on the host (a count that sizes a tensor, a check that raises) takes an exact, simple
    path there, and a padded path that keeps every count on the device elsewhere.
    """
    return device.type == "cpu"
