"""The ``tools/*.py`` scripts loaded as modules, for tests that call their ``parse_args`` or
helpers in process (``tools/`` is no package on the import path)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def load_tool(name: str) -> ModuleType:
    """``tools/<name>`` (e.g. ``"train.py"``) executed as a fresh module."""
    spec = importlib.util.spec_from_file_location(f"tool_{Path(name).stem}", TOOLS / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
