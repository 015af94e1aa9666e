"""``tools/make_shapes.py --size`` too large for memory (``--size 100000``: a 149 GiB pixel
grid) is one line naming the flag, not a numpy ``MemoryError`` traceback."""

from __future__ import annotations

import sys

import pytest
from tool_modules import load_tool

import detseg.data.shapes as shapes


def test_an_image_that_does_not_fit_in_memory_names_size(tmp_path, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 149. GiB for an array")

    monkeypatch.setattr(shapes, "generate_shapes", out_of_memory)
    argv = ["make_shapes.py", "--out", str(tmp_path / "s"), "--size", "100000"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(ValueError) as info:
        load_tool("make_shapes.py").main()
    assert str(info.value) == (
        "--size 100000: an image of 100000 x 100000 px does not fit in memory; give a smaller "
        "--size (objects are at most 150 px wide)"
    )
