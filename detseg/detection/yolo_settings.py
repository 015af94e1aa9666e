"""Checks of the YOLO builder's settings (:func:`detseg.detection.yolo.yolo`).

- :func:`check_version_settings`: the settings of one YOLO version are refused on the other
  (they would be ignored): ``anchors`` and ``neck_channels`` on v1, ``grid_size`` and
  ``boxes_per_cell`` on v3; and v1, which predicts from one backbone level, refuses several
  ``return_layers``.
- :func:`check_widths`: ``head_channels >= 1``, ``neck_channels >= 1`` or ``None`` (no neck).
- :func:`check_priors` and :func:`default_priors`: the v3 priors, per backbone level a list
  of ``[w, h]`` pairs in input pixels.

``neck_channels`` defaults to :data:`DEFAULT_NECK_CHANNELS`, a marker of its own
(:class:`VersionDefault`) rather than a width, so that v1 tells the default (no neck to set)
from a width a caller gave, 128 included; ``None`` already means "no neck" and cannot serve as
that marker. :func:`neck_width` resolves it, in one place: :data:`V3_NECK_CHANNELS` on v3,
no neck on v1.
"""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Sequence

from detseg.ops.yolo_priors import default_yolov3_priors

VERSIONS = ("v1", "v3")


#: YOLOv3's default neck width.
V3_NECK_CHANNELS = 128


class VersionDefault(enum.Enum):
    """A builder argument left out, whose value depends on the YOLO version (``None`` has a
    meaning of its own). A config never holds it: its values are YAML's."""

    NECK_CHANNELS = "the version's neck width"


#: ``neck_channels`` not given: :data:`V3_NECK_CHANNELS` on v3, no neck on v1.
DEFAULT_NECK_CHANNELS = VersionDefault.NECK_CHANNELS


def neck_width(version: str, neck_channels: int | None | VersionDefault) -> int | None:
    """The width of the v3 neck for the ``neck_channels`` a caller gave (``None``: no neck;
    :data:`DEFAULT_NECK_CHANNELS`: :data:`V3_NECK_CHANNELS` on v3, no neck on v1, which has
    none)."""
    if isinstance(neck_channels, VersionDefault):
        return V3_NECK_CHANNELS if version == "v3" else None
    return neck_channels


def check_priors(anchors: Sequence[Sequence[Sequence[float]]], num_levels: int) -> list:
    """Validate ``anchors`` (per level a list of ``[w, h]`` in pixels) against the levels.

    Returns:
        The priors as floats: per level ``[[w, h], ...]``.
    """
    try:
        groups = [[[float(v) for v in pair] for pair in level] for level in anchors]
    except (TypeError, ValueError):  # a level of numbers, or a value that is not a number
        raise ValueError(
            f"anchors = {anchors!r} is not a list of levels of [width, height] pairs: give per "
            "backbone level (finest first) a list of pairs in pixels, e.g. [[[10, 13], [16, 30]], "
            "[[33, 23], [30, 61]], [[62, 45], [59, 119]]]"
        ) from None
    if len(groups) != num_levels:
        raise ValueError(
            f"anchors has {len(groups)} level groups but the backbone gives "
            f"{num_levels} levels; give one list of [w, h] pairs per level"
        )
    for level, group in enumerate(groups):
        if not group or any(len(p) != 2 or not all(0 < v < math.inf for v in p) for p in group):
            raise ValueError(
                f"anchors level {level} = {group}: need a non-empty list of "
                "[width, height] pairs in pixels, both finite and > 0"
            )
    return groups


def default_priors(input_size: int, levels: Sequence[str]) -> Sequence[Sequence[Sequence[float]]]:
    """YOLOv3's priors for ``input_size``; they have three levels, so other backbone
    ``levels`` (the distinct ``return_layers``) need their own ``anchors``."""
    priors = default_yolov3_priors(input_size)
    if len(levels) != len(priors):
        raise ValueError(
            f"return_layers give {len(levels)} backbone levels {list(levels)} but YOLOv3's "
            f"default priors have {len(priors)}: give anchors, one list of [w, h] pairs per "
            f"level (detseg-anchors --k {3 * len(levels)} prints them; tools/anchors.py), or "
            f"{len(priors)} distinct return_layers"
        )
    return priors


def _check_v1_settings(
    anchors: Sequence[Sequence[Sequence[float]]] | None,
    neck_channels: int | None | VersionDefault,
    grid_size: int | None,
    boxes_per_cell: int | None,
    return_layers: Sequence[str] | None,
) -> None:
    """Refuse v3's ``anchors`` and ``neck_channels`` and more than one ``return_layers``;
    ``grid_size`` and ``boxes_per_cell`` are integers >= 1 (or ``None``: 7 and 2)."""
    if return_layers is not None and len(return_layers) > 1:
        raise ValueError(
            f"return_layers={list(return_layers)}: YOLOv1 predicts from one backbone level "
            "(its S x S grid); give one level, e.g. ['c5'], or use version='v3' for several"
        )
    if anchors is not None:
        raise ValueError(
            "anchors is a YOLOv3 setting: YOLOv1 predicts boxes without anchors (grid_size "
            "and boxes_per_cell set its grid); drop anchors or use version='v3'"
        )
    if neck_channels is not None and not isinstance(neck_channels, VersionDefault):
        raise ValueError(
            f"neck_channels={neck_channels!r} is a YOLOv3 setting: YOLOv1 has no neck (its "
            "head reads the last backbone level; head_channels sets its width); drop "
            "neck_channels or use version='v3'"
        )
    for name, value in (("grid_size", grid_size), ("boxes_per_cell", boxes_per_cell)):
        if value is not None and not (isinstance(value, numbers.Integral) and value >= 1):
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def check_version_settings(
    version: str,
    anchors: Sequence[Sequence[Sequence[float]]] | None,
    grid_size: int | None,
    boxes_per_cell: int | None,
    neck_channels: int | None | VersionDefault = DEFAULT_NECK_CHANNELS,
    return_layers: Sequence[str] | None = None,
) -> None:
    """Refuse the settings of the other YOLO version (they would be ignored), an empty
    ``anchors`` list (it would not mean the default priors, ``None`` does) and several
    ``return_layers`` on v1 (all but the last would be ignored)."""
    if version not in VERSIONS:
        raise ValueError(f"version='{version}' is not one of {VERSIONS}")
    if version == "v1":
        _check_v1_settings(anchors, neck_channels, grid_size, boxes_per_cell, return_layers)
        return
    for name, value in (("grid_size", grid_size), ("boxes_per_cell", boxes_per_cell)):
        if value is not None:
            raise ValueError(
                f"{name} is a YOLOv1 setting: YOLOv3 predicts on one grid per backbone "
                f"level with the priors of anchors; drop {name} or use version='v1'"
            )
    if anchors is not None and len(anchors) == 0:
        raise ValueError(
            "anchors is empty: give per backbone level a list of [w, h] pairs in input "
            "pixels (detseg-anchors, tools/anchors.py, prints them), or drop anchors for YOLOv3's "
            "priors"
        )


def check_widths(head_channels: int, neck_channels: int | None) -> None:
    """``head_channels >= 1`` and ``neck_channels >= 1`` or ``None`` (no neck)."""
    if head_channels < 1 or (neck_channels is not None and neck_channels < 1):
        raise ValueError(
            f"head_channels must be >= 1 and neck_channels >= 1 or null (no neck), got "
            f"{head_channels} and {neck_channels}"
        )
