"""The detection metrics a checkpoint or a predictions file is scored by (no torch import).

They are computed by :mod:`detseg.evaluation.voc_coco`; ``tools/eval.py --metric`` offers them.
"""

from __future__ import annotations

from typing import Literal, get_args

#: The type of the config key ``eval.metric``.
DetectionMetric = Literal["auto", "coco", "voc07", "voc12"]
#: The values of ``eval.metric`` and ``tools/eval.py --metric``, in order.
METRIC_CHOICES: tuple[str, ...] = get_args(DetectionMetric)
