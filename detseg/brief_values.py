"""A value given where another was expected, in a few words for a one-line error message.

An array's or a tensor's ``repr`` spans lines and holds its numbers; a long list's runs on:
:func:`brief` gives an array or tensor as its type and shape, anything else as its type and its
``repr`` on one line, cut short. Imports nothing from detseg (and no torch or numpy): the
modules of every layer that name a wrong argument use it.
"""

from __future__ import annotations

__all__ = ["brief"]


def brief(value: object, width: int = 60) -> str:
    """``value`` in one short line: ``ndarray of shape (8, 8, 3)``, ``Tensor of shape (3, 8,
    8)``, ``NoneType None``, ``str 'abc'``; a ``repr`` longer than ``width`` characters is cut
    and ends in ``...``."""
    kind = type(value).__name__
    try:
        shape = getattr(value, "shape", None)
    except Exception:  # noqa: BLE001 - a strided nested tensor cannot give its shape
        return kind
    if isinstance(shape, tuple):  # numpy shapes and torch.Size
        return f"{kind} of shape {tuple(shape)}"
    text = " ".join(repr(value).split())
    return f"{kind} {text if len(text) <= width else text[: width - 3] + '...'}"
