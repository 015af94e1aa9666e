"""detseg: object detection and semantic segmentation in plain PyTorch.

``detseg.load(checkpoint)`` gives a :class:`~detseg.api.predictor.Predictor` (see
:mod:`detseg.api`). It and the subpackages (``detseg.engine``, ``detseg.config``,
``detseg.models`` ...) are imported on first use, so that ``import detseg`` is quick and
``import detseg.ops`` (or any other part) does not load the whole package, while
``detseg.engine.train`` works after a bare ``import detseg``.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "load"]

if TYPE_CHECKING:
    from detseg.api.predictor import load


@functools.cache
def _submodules() -> frozenset[str]:
    """The names of detseg's subpackages and modules (``api``, ``config``, ``engine`` ...),
    listed from the package folder once."""
    return frozenset(
        info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")
    )


def __dir__() -> list[str]:
    """The module's names with ``load`` and the subpackages (imported on first use), for
    ``dir(detseg)`` and a notebook's tab completion."""
    dunders = (name for name in globals() if name.startswith("__"))  # not the imports above
    return sorted({*dunders, *__all__, *_submodules()})


def __getattr__(name: str) -> Any:
    if name == "load":
        from detseg.api.predictor import load

        return load
    if name in _submodules():  # detseg.engine after `import detseg`: imported here
        return importlib.import_module(f"detseg.{name}")
    raise AttributeError(f"module 'detseg' has no attribute {name!r}")
