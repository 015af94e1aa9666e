"""detseg: object detection and semantic segmentation in plain PyTorch.

``detseg.load(checkpoint)`` gives a :class:`~detseg.api.predictor.Predictor` (see
:mod:`detseg.api`). It is imported on first use, so that ``import detseg.ops`` (or any other
part) does not load the whole package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "load"]

if TYPE_CHECKING:
    from detseg.api.predictor import load


def __dir__() -> list[str]:
    """The module's names with ``load`` (imported on first use), for ``dir(detseg)`` and a
    notebook's tab completion."""
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    if name == "load":
        from detseg.api.predictor import load

        return load
    raise AttributeError(f"module 'detseg' has no attribute {name!r}")
