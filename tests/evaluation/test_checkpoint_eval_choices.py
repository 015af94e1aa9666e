"""``evaluate_checkpoint(backend=..., metric=...)`` with a value that is none of the choices is
refused before any work, naming the keyword its caller gave (``backend='fast'``), not the
``--set eval.backend=fast`` item of a tool that the value becomes in the config; a tool names
its own flag (``--backend fast``) by ``naming(EVAL_FLAGS)``. ``out`` under a file is named
``out`` from Python (``tools/eval.py`` checks its ``--out`` itself, before the call)."""

from __future__ import annotations

import re

import pytest
from tool_modules import load_tool

from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
from detseg.named_settings import SettingError


@pytest.mark.parametrize(
    ("keyword", "value", "choices"),
    [("backend", "fast", "faster, pycocotools"), ("metric", "voc", "auto, coco, voc07, voc12")],
)
def test_a_bad_choice_names_the_keyword(tmp_path, keyword, value, choices):
    with pytest.raises(SettingError) as caught:  # the checkpoint is never read
        evaluate_checkpoint(tmp_path / "missing.pt", **{keyword: value})
    message = str(caught.value)
    assert message == (
        f"{keyword}={value!r}: the {keyword} must be one of {choices} (eval.{keyword} of the "
        "config)"
    )
    assert "--" not in message
    tool = caught.value.naming(load_tool("eval.py").EVAL_FLAGS)
    assert tool.startswith(f"--{keyword} {value}: the {keyword} must be one of {choices}")


def test_the_tool_refuses_a_bad_choice_itself(run_tool, tmp_path):
    result = run_tool("eval.py", tmp_path / "best.pt", "--backend", "fast")
    assert result.returncode == 2
    assert "argument --backend: invalid choice: 'fast'" in result.stderr, result.stderr


def test_an_output_under_a_file_is_named_out(tmp_path):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "eval"
    with pytest.raises(NotADirectoryError, match="^" + re.escape(f"out {out}: ")):
        evaluate_checkpoint(tmp_path / "missing.pt", out=out)
