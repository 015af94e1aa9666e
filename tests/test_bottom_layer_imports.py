"""The bottom layer of docs/ARCHITECTURE.md's "Direction of dependencies" imports what it says.

``choices/`` imports nothing from detseg, ``ops/`` nothing outside ``ops/``, ``losses.py`` only
``ops/padding``, ``argument_checks.py``, ``torch_files.py``, ``lazy_names.py``,
``torch_tensors.py``, ``target_values.py``, ``progress_bars.py`` and ``timed_stages.py`` nothing
from detseg, ``run_folders.py`` only ``torch_files``, ``named_settings.py`` only
``shell_words``. Every ``import`` statement counts, also those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DETSEG = Path(__file__).resolve().parents[1] / "detseg"


def _detseg_imports(path: Path) -> set[str]:
    """The detseg modules one file imports (``from detseg.ops import boxes`` -> detseg.ops)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name for name in names if name == "detseg" or name.startswith("detseg.")}
    return found


@pytest.mark.parametrize(
    ("files", "allowed"),
    [
        ("choices/*.py", ()),
        ("ops/*.py", ("detseg.ops",)),
        ("losses.py", ("detseg.ops.padding",)),
        ("argument_checks.py", ()),
        ("shell_words.py", ()),
        ("named_settings.py", ("detseg.shell_words",)),
        ("torch_files.py", ()),
        ("lazy_names.py", ()),
        ("torch_tensors.py", ()),
        ("progress_bars.py", ()),
        ("timed_stages.py", ()),
        ("run_folders.py", ("detseg.torch_files",)),
        ("target_values.py", ()),
    ],
)
def test_bottom_layer_imports(files: str, allowed: tuple[str, ...]) -> None:
    paths = sorted(DETSEG.glob(files))
    assert paths, files
    wrong = {
        f"{path.relative_to(DETSEG)}: {name}"
        for path in paths
        for name in _detseg_imports(path)
        if not any(name == a or name.startswith(a + ".") for a in allowed)
    }
    assert not wrong, sorted(wrong)
