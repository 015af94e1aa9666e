"""Every module of detseg is reachable as ``package.module``: no package re-exports a name that
hides a module of its own (``from detseg.detection.yolo import yolo`` in the package's
``__init__`` would make ``import detseg.detection.yolo as m`` give the function, and
``detseg.detection.yolo.YOLO`` fail)."""

from __future__ import annotations

import importlib
import pkgutil
import types

import detseg


def _packages() -> list[types.ModuleType]:
    found = [detseg]
    for info in pkgutil.walk_packages(detseg.__path__, "detseg."):
        if info.ispkg:
            found.append(importlib.import_module(info.name))
    return found


def test_no_package_attribute_hides_a_module() -> None:
    hidden = []
    for package in _packages():
        for info in pkgutil.iter_modules(package.__path__):
            name = f"{package.__name__}.{info.name}"
            module = importlib.import_module(name)
            if getattr(package, info.name) is not module:
                hidden.append(f"{name} is hidden by {type(getattr(package, info.name)).__name__}")
    assert hidden == []
