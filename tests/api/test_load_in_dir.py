"""``detseg.load`` is imported on first use (PEP 562), yet listed by ``dir(detseg)``: what a
notebook's tab completion and ``help`` show after ``import detseg``."""

from __future__ import annotations

import detseg


def test_dir_lists_load_before_and_after_its_first_use():
    names = dir(detseg)
    assert "load" in names and "__version__" in names
    assert names == sorted(names)
    assert callable(detseg.load)
    assert "load" in dir(detseg)
