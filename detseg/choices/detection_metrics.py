"""The detection metrics a checkpoint or a predictions file is scored by (no torch import).

They are computed by :mod:`detseg.evaluation.voc_coco`; ``tools/eval.py --metric`` offers them.
"""

from __future__ import annotations

#: The values of ``eval.metric`` and ``tools/eval.py --metric``.
METRIC_CHOICES = ("auto", "coco", "voc07", "voc12")
