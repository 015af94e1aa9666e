"""The test-time augmentation modes of a segmenter (no torch import).

The views of each mode are made by :mod:`detseg.segmentation.tta`; ``tools/infer.py --tta``
offers them.
"""

from __future__ import annotations

from typing import Literal, get_args

#: The type of the config key ``eval.tta``.
TtaMode = Literal["none", "hflip", "flips", "dihedral"]
#: Its values, in order.
TTA_MODES: tuple[str, ...] = get_args(TtaMode)
