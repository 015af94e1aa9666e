"""Range checks of the detection settings dataclasses (``RPNConfig``, ``RoIHeadsConfig``).

Each settings dataclass calls them from its ``__post_init__``, so a threshold outside
``[0, 1]`` or a count below 1 is refused where the settings are made: when a config is loaded
(``model.roi_heads.nms_thresh=2``) as well as from Python.
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
