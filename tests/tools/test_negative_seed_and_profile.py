"""Negative counts refused by the flag that takes them, before any work starts.

``make_shapes.py --seed -1`` once reached numpy's seeding (``expected non-negative integer``,
naming no flag), and ``train.py --profile -1`` was refused as ``--set
train.profile_steps=-1``, a flag the user did not give (the config key it sets is named too).
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        ("make_shapes.py", ["--seed", "-1"], "--seed must be >= 0, got -1"),
        (
            "train.py",
            ["configs/demo.yaml", "--profile", "-1"],
            "--profile -1: train.profile_steps must be >= 0, got -1; give the number of steps "
            "to profile",
        ),
    ],
)
def test_a_negative_value_names_its_flag(tmp_path, run_tool, script, args, message):
    out = ["--out", tmp_path / "out"] if script == "make_shapes.py" else []
    result = run_tool(script, *args, *out)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"{script[:-3]}: error: {message}"
    assert "--set train" not in result.stderr
    assert not (tmp_path / "out").exists()
