"""The test-time augmentation modes and scale bounds of a segmenter (no torch import).

The views of each mode are made by :mod:`detseg.segmentation.tta`; ``tools/infer.py --tta``
offers them. The bounds of the scales are checked where the factors enter: the config's
``eval.tta_scales`` and ``SegmentationInference(scales=...)`` (:func:`tta_scales_problem`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

#: The type of the config key ``eval.tta``.
TtaMode = Literal["none", "hflip", "flips", "dihedral"]
#: Its values, in order.
TTA_MODES: tuple[str, ...] = get_args(TtaMode)

#: The smallest and the largest factor of the TTA scales (``eval.tta_scales``): multi-scale
#: testing uses 0.5 to 1.75 (MMSegmentation's and DeepLab's ratios) or 2.0 (HRNet's), which
#: the bounds allow with a margin on both sides. Beyond them a factor is a typo, not a
#: setting: ``50`` asks for 2,500 times the pixels of each image (the process is killed for
#: memory, without a message), and ``0.001`` shrinks an image to a pixel or two.
TTA_SCALE_RANGE = (0.25, 4.0)


def tta_scales_problem(scales: Sequence[float], name: str) -> str | None:
    """Why ``scales`` are no TTA scales (none, or a factor outside :data:`TTA_SCALE_RANGE`),
    naming them ``name`` (``eval.tta_scales``, ``scales``), or ``None`` if they are."""
    low, high = TTA_SCALE_RANGE
    if scales and all(low <= scale <= high for scale in scales):
        return None
    return (
        f"{name} must be a non-empty list of factors in [{low:g}, {high:g}] "
        f"(image resize factors; multi-scale testing uses 0.5 to 2), got {scales}"
    )
