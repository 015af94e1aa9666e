"""``dir()`` of the packages whose names load on first use lists those names, importing nothing."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("package", "name", "module"),
    [
        ("detseg.data", "CocoDetection", "detseg.data.coco"),
        ("detseg.evaluation", "coco_evaluate", "detseg.evaluation.coco"),
        ("detseg.visualize", "draw_detections", "detseg.visualize.detections"),
    ],
)
def test_dir_lists_names_not_yet_imported(package: str, name: str, module: str) -> None:
    code = (
        f"import sys, {package} as p\n"
        f"names = dir(p)\n"
        f"print({name!r} in names, {module!r} in sys.modules, names == sorted(names))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["True", "False", "True"]
