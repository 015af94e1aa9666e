"""``tools/make_shapes.py``: a count or a size it cannot use is one line naming the flag, exit
code 2, and no folder is made."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--num-train", "-1"], "--num-train must be >= 0, got -1"),
        (["--num-val", "-2"], "--num-val must be >= 0, got -2"),
        (["--num-test", "-3"], "--num-test must be >= 0, got -3"),
        (["--size", "10"], "--size must be >= 32 (shapes of 8 px and more must fit), got 10"),
        (["--workers", "0"], "--workers must be >= 1, got 0"),
    ],
)
def test_a_bad_count_or_size_names_its_flag(tmp_path, run_tool, args, message):
    out = tmp_path / "shapes"
    result = run_tool("make_shapes.py", "--out", out, *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == f"make_shapes: error: {message}"
    assert not out.exists()
