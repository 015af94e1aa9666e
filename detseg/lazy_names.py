"""A package's public names imported on first use (PEP 562's module ``__getattr__``).

``detseg.data``, ``detseg.evaluation`` and ``detseg.visualize`` list where each public name
lives instead of importing every module when the package is imported: a tool that needs one
torch-free module of a package (the COCO json helpers, the evaluation of a predictions file)
then loads neither torch nor the rest. ``import detseg.data`` alone imports no submodule;
``detseg.data.CocoDetection`` imports ``detseg.data.coco`` when it is first read. A module of
the package is imported on first use as well (:func:`submodule_on_first_use`):
``detseg.evaluation.checkpoint_eval.evaluate_checkpoint`` works after a bare ``import detseg``.

Usage, in a package's ``__init__.py``::

    _MODULES = {"CocoDetection": "coco", ...}  # public name -> its submodule
    __getattr__ = names_on_first_use(__name__, _MODULES, globals())
    __dir__ = names_listed(_MODULES, globals())  # dir() and tab completion show them all
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any


def names_on_first_use(
    package: str, modules: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: ``modules[name]`` is imported when ``name``
    is first read, and the value is kept in ``namespace`` (the package's ``globals()``), so
    the next read finds it without a call.

    A name ``modules`` does not list is a module of the package, imported
    (:func:`submodule_on_first_use`).

    Raises (from the returned function):
        AttributeError: a name that is neither, as for any module.
    """

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            return submodule_on_first_use(package, name)
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__


def submodule_on_first_use(package: str, name: str) -> ModuleType:
    """The module ``package.name``, imported: what a package's ``__getattr__`` gives for a
    module it does not import itself, so that ``detseg.engine.checkpointing`` is there after a
    bare ``import detseg`` (Python binds a submodule to its package only once it is imported).

    Raises:
        AttributeError: ``package`` has no module ``name`` (a dunder name is never looked up),
            in the words Python uses for a missing attribute.
    """
    if not name.startswith("__") and name.isidentifier():
        if importlib.util.find_spec(f"{package}.{name}") is not None:
            return importlib.import_module(f"{package}.{name}")
    raise AttributeError(f"module {package!r} has no attribute {name!r}")


def names_listed(modules: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[], list[str]]:
    """The module ``__dir__`` of a package whose names ``modules`` imports on first use:
    ``dir(package)`` (and a notebook's tab completion) lists them before they are read, along
    with the names already in ``namespace``, and imports nothing."""

    def __dir__() -> list[str]:
        return sorted({*namespace, *modules})

    return __dir__
