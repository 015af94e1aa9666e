"""The MIT license that pyproject.toml declares is a LICENSE file of the repository, and the
distribution ships it (``license-files``; ``tests/test_install.py`` checks the installed copy)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_license_file_is_the_mit_license():
    text = (REPO / "LICENSE").read_text()
    lines = text.splitlines()
    assert lines[0] == "MIT License"
    assert "Copyright (c) 2026 detseg contributors" in lines
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_pyproject_ships_the_license_file():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
