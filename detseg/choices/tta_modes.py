"""The test-time augmentation modes of a segmenter (no torch import).

The views of each mode are made by :mod:`detseg.segmentation.tta`; ``tools/infer.py --tta``
offers them.
"""

from __future__ import annotations

#: Valid values of the config key ``eval.tta``.
TTA_MODES = ("none", "hflip", "flips", "dihedral")
