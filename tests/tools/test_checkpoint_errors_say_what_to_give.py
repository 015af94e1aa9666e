"""A checkpoint argument of ``tools/eval.py`` and ``tools/export.py`` that is an empty file or a
text file (a config given for the checkpoint) is one line that also says what to give, as the
other unreadable checkpoints' lines do: it said only ``is empty (0 bytes)`` / ``is not a
checkpoint (a text file?)``."""

from __future__ import annotations

import pytest
from tool_in_process import run_tool_here


@pytest.mark.parametrize("script", ["eval.py", "export.py"])
@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [("empty.pt", "", "is empty (0 bytes)"), ("demo.yaml", "model: {}\n", "is not a checkpoint "
     "(a text file?)")],
)  # fmt: skip
def test_the_line_says_what_to_give(tmp_path, capsys, script, name, content, problem):
    path = tmp_path / name
    path.write_text(content)
    code = run_tool_here(script, path, "--out", tmp_path / "out")
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"{script[:-3]}: error: {path} {problem}; give a best.pt / last.pt written by "
        "detseg-train (tools/train.py)"
    ]
    assert not (tmp_path / "out").exists()
