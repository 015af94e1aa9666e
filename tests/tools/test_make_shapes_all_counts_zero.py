"""``tools/make_shapes.py`` with every image count at 0 names the flags the user typed."""

from __future__ import annotations


def test_all_counts_zero_names_the_flags(tmp_path, run_tool):
    out = tmp_path / "shapes"
    args = ["--num-train", "0", "--num-val", "0", "--num-test", "0"]
    result = run_tool("make_shapes.py", "--out", out, *args)
    assert result.returncode == 2, result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("make_shapes: error: --num-train, --num-val and --num-test are all 0")
    assert "num_train" not in result.stderr
    assert not out.exists()
