"""Loss of the Fast R-CNN stage over the sampled RoIs: classification and box regression.

Shapes: ``R`` sampled RoIs over the batch, ``K`` foreground classes (index 0 of the
``K + 1`` scores is background).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from detseg.losses import smooth_l1_loss


def fast_rcnn_loss(
    class_logits: Tensor,
    box_deltas: Tensor,
    labels: Tensor,
    regression_targets: Tensor,
    valid: Tensor | None = None,
) -> dict[str, Tensor]:
    """Fast R-CNN loss over the sampled RoIs of the batch.

    ``loss_roi_cls``: cross-entropy, mean over sampled RoIs. ``loss_roi_box``: smooth-L1
    (beta 1/9) of the true class's deltas, summed over foreground RoIs and divided by the number
    of sampled RoIs; exactly zero when no RoI is foreground. Both are masked sums, so the number
    of sampled RoIs never has to be read on the host.

    Args:
        class_logits: ``Float[R, K+1]``; box_deltas: ``Float[R, 4(K+1)]``.
        labels: ``Int64[R]`` (0 background); regression_targets: ``Float[R, 4]`` (finite).
        valid: Bool ``[R]``: the sampled RoIs (``None``: all); the others (padding) do not count.

    Returns:
        ``{"loss_roi_cls", "loss_roi_box"}``, scalars.
    """
    if valid is None:
        valid = torch.ones_like(labels, dtype=torch.bool)
    num_sampled = valid.sum().clamp(min=1)
    labels = labels.where(valid, 0)
    cls_loss = F.cross_entropy(class_logits, labels, reduction="none")
    cls_loss = torch.where(valid, cls_loss, 0.0).sum() / num_sampled
    deltas = box_deltas.reshape(box_deltas.shape[0], -1, 4)  # [R, K+1, 4]
    class_deltas = deltas.gather(1, labels[:, None, None].expand(-1, 1, 4))[:, 0]  # [R, 4]
    box_loss = smooth_l1_loss(class_deltas, regression_targets, beta=1 / 9, reduction="none")
    foreground = (labels > 0)[:, None]
    box_loss = torch.where(foreground, box_loss, 0.0).sum() / num_sampled
    return {"loss_roi_cls": cls_loss, "loss_roi_box": box_loss}
