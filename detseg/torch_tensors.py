"""A tensor test that does not import torch.

The numpy paths of some modules run without torch (drawing an image, the VOC AP of a
predictions file), yet the same functions also take tensors. :func:`is_torch_tensor` tells the
two apart by looking for torch among the loaded modules instead of importing it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    import torch


def is_torch_tensor(value: object) -> TypeGuard[torch.Tensor]:
    """Whether ``value`` is a ``torch.Tensor``, without importing torch: a tensor exists only
    once torch is loaded, so where torch is not loaded the answer is ``False``."""
    torch_module: Any = sys.modules.get("torch")
    return torch_module is not None and isinstance(value, torch_module.Tensor)
