"""Range checks of the detection settings dataclasses (``RPNConfig``, ``RoIHeadsConfig``).

Each settings dataclass calls them from its ``__post_init__``, so a threshold outside
``[0, 1]`` or a count below 1 is refused where the settings are made: when a config is loaded
(``model.roi_heads.nms_thresh=2``) as well as from Python. :func:`checked_score_thresh` is the
same check for the detectors' ``score_thresh`` setters, which change the settings afterwards.
"""

from __future__ import annotations

from typing import Any


def _require_number(name: str, value: Any, wanted: str) -> None:
    """Raise ``ValueError`` naming ``name`` when ``value`` is not a real number (``None``, a
    string or a bool would otherwise fail the comparison with a bare ``TypeError``)."""
    try:  # float() takes numpy and 0-dim tensor values too, and refuses None and lists
        float(value)
        number = not isinstance(value, bool | str | bytes)
    except (TypeError, ValueError):
        number = False
    if not number:
        raise ValueError(f"{name} must be a number {wanted}, got {value!r}")


def require_fractions(settings: Any, *names: str) -> None:
    """Raise ``ValueError`` naming the first of ``names`` whose value is outside ``[0, 1]``."""
    for name in names:
        value = getattr(settings, name)
        _require_number(name, value, "in [0, 1]")
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")


def require_at_least(settings: Any, minimum: float, *names: str) -> None:
    """Raise ``ValueError`` naming the first of ``names`` whose value is below ``minimum``."""
    for name in names:
        value = getattr(settings, name)
        _require_number(name, value, f">= {minimum:g}")
        if not value >= minimum:
            raise ValueError(f"{name} must be >= {minimum:g}, got {value}")


def require_iou_order(settings: Any) -> None:
    """Raise ``ValueError`` unless ``settings.bg_iou_thresh <= settings.fg_iou_thresh`` (the
    IoU below which a match is background cannot be above the one from which it is
    foreground)."""
    if settings.bg_iou_thresh > settings.fg_iou_thresh:
        raise ValueError(
            f"bg_iou_thresh ({settings.bg_iou_thresh}) must be <= fg_iou_thresh "
            f"({settings.fg_iou_thresh}): lower bg_iou_thresh or raise fg_iou_thresh"
        )


def checked_score_thresh(value: float) -> float:
    """``value`` as a float, the score threshold a detector's ``score_thresh`` setter sets.

    Raises:
        ValueError: ``score_thresh must lie in [0, 1], got 1.5`` (NaN, or not a number).
    """
    _require_number("score_thresh", value, "in [0, 1]")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"score_thresh must lie in [0, 1], got {value}")
    return float(value)
