"""The detections a single-stage detector could have kept for an image: every box above its
score threshold, before the top-k, NMS and detection-limit selections (:func:`candidates`).

The export check (:mod:`~detseg.export.comparison`) excuses an exported detection left without
a partner where the two runtimes may select other boxes: at a cut (the score threshold, the
detection limit) or among exactly equal scores. What it excuses is the selection, never the
values: an excused detection must still be one of the model's candidates, the same label, box
and score within tolerance. Without that, an untrained detector whose scores all tie (a
1-iteration SSD300 scores every box 1.0) excuses every detection at the cut, and a file whose
boxes are shifted, labels swapped or scores scaled passes.

A two-stage detector (Faster R-CNN) gets no candidates: its second stage scores the proposals
the first selected, which the runtimes may select differently too.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

from detseg.detection.retinanet import RetinaNet
from detseg.detection.ssd import SSD
from detseg.detection.yolo import YOLO

#: A top-k or detection limit that selects nothing out.
_UNLIMITED = 10**9


@contextlib.contextmanager
def _unselective(model: nn.Module, margin: float) -> Iterator[bool]:
    """``model`` with its top-k, NMS (IoU threshold 1: nothing suppressed) and detection
    limit undone and its score threshold lowered by ``margin`` (a score just below it in one
    runtime and above it in the other) inside the block; yields whether it could be (a
    single-stage detector). The settings are restored on leaving."""
    attribute = ""
    changes: dict[str, Any] = {"nms_thresh": 1.0}
    if isinstance(model, (SSD, RetinaNet)):
        attribute = "config"
        changes.update(topk_candidates=_UNLIMITED, detections_per_img=_UNLIMITED)
    elif isinstance(model, YOLO):
        attribute = "inference"
        changes.update(pre_nms_top_n=_UNLIMITED, max_detections=_UNLIMITED)
    if not attribute:
        yield False
        return
    settings = getattr(model, attribute)
    changes["score_thresh"] = max(0.0, float(settings.score_thresh) - margin)
    setattr(model, attribute, dataclasses.replace(settings, **changes))
    try:
        yield True
    finally:
        setattr(model, attribute, settings)


@torch.no_grad()
def candidates(model: nn.Module, image: Tensor, margin: float) -> dict[str, Tensor] | None:
    """Every detection ``model`` scores above its score threshold less ``margin`` on ``image``
    (``Float[3, H, W]`` in ``[0, 1]``), none selected out: ``boxes Float[M, 4]`` (xyxy
    pixels), ``scores Float[M]``, ``labels Int64[M]``; ``None`` for a detector other than
    SSD, RetinaNet or YOLO (see the module docstring)."""
    with _unselective(model, margin) as unselective:
        if not unselective:
            return None
        return model.predict([image])[0]  # type: ignore[operator]
