"""A package's public names imported on first use (PEP 562's module ``__getattr__``).

``detseg.data``, ``detseg.evaluation`` and ``detseg.visualize`` list where each public name
lives instead of importing every module when the package is imported: a tool that needs one
torch-free module of a package (the COCO json helpers, the evaluation of a predictions file)
then loads neither torch nor the rest. ``import detseg.data`` alone imports no submodule;
``detseg.data.CocoDetection`` imports ``detseg.data.coco`` when it is first read.

Usage, in a package's ``__init__.py``::

    _MODULES = {"CocoDetection": "coco", ...}  # public name -> its submodule
    __getattr__ = names_on_first_use(__name__, _MODULES, globals())
    __dir__ = names_listed(_MODULES, globals())  # dir() and tab completion show them all
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def names_on_first_use(
    package: str, modules: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: ``modules[name]`` is imported when ``name``
    is first read, and the value is kept in ``namespace`` (the package's ``globals()``), so
    the next read finds it without a call.

    Raises (from the returned function):
        AttributeError: a name ``modules`` does not list, as for any module.
    """

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__


def names_listed(modules: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[], list[str]]:
    """The module ``__dir__`` of a package whose names ``modules`` imports on first use:
    ``dir(package)`` (and a notebook's tab completion) lists them before they are read, along
    with the names already in ``namespace``, and imports nothing."""

    def __dir__() -> list[str]:
        return sorted({*namespace, *modules})

    return __dir__
