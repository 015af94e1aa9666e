"""Whether a RoI head normalises with statistics of the whole batch of RoIs.

The RoI heads pool a padded batch on a GPU (filler rows after each image's sampled RoIs, so
that no count is read on the host). Rows are independent in an MLP or a GroupNorm head, so the
fillers change nothing there; a BatchNorm layer in training mode takes its mean and variance
over every row it sees, filler rows included, and so changes the loss of the real RoIs and its
running statistics. Such heads are fed the sampled rows only, as torchvision feeds them.
"""

from __future__ import annotations

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


def uses_batch_statistics(module: nn.Module) -> bool:
    """True when ``module`` holds a BatchNorm layer (any dimension, ``SyncBatchNorm``
    included) that normalises with the batch's statistics: in training mode, or without
    running statistics."""
    return any(
        isinstance(layer, _BatchNorm) and (layer.training or not layer.track_running_stats)
        for layer in module.modules()
    )
