"""``default_output(checkpoint, split)``, the folder an evaluation of a split writes into
without ``out``, refuses a split that is no single name on its own (before any split is
looked up): ``eval_<split>`` of a path would name a folder elsewhere, outside the run's
folder for ``x/../../y``. The tool names its flag (``--split x/../../y``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.evaluation.checkpoint_eval import default_output
from detseg.named_settings import SettingError


def test_a_split_name_gets_its_own_folder_beside_the_checkpoint(tmp_path):
    assert default_output(tmp_path / "best.pt") == tmp_path / "eval"
    assert default_output(tmp_path / "best.pt", "test") == tmp_path / "eval_test"


@pytest.mark.parametrize(
    "split", ["", ".", "..", "a/b", "../x", "x/../../y", "/abs", " ", "\t", "val ", "a\x00b"]
)
def test_a_split_that_is_no_name_is_refused(tmp_path, split):
    with pytest.raises(SettingError) as caught:
        default_output(tmp_path / "run" / "best.pt", split)
    assert str(caught.value) == f"split={split!r}: give a split's name, such as val or test"
    assert caught.value.naming({"split": "--split"}).startswith("--split ")


@pytest.mark.parametrize("split", ["val2017", "test-dev", "train_0", "tëst", "验证"])
def test_names_of_other_scripts_and_forms_are_splits(tmp_path, split):
    assert default_output(tmp_path / "best.pt", split) == tmp_path / f"eval_{split}"


def test_the_tool_names_its_flag_and_writes_nothing(tmp_path, run_tool):
    run = tmp_path / "run"
    run.mkdir()
    (run / "best.pt").write_bytes(b"")  # refused before the checkpoint is read
    result = run_tool("eval.py", run / "best.pt", "--split", "x/../../y")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "eval: error: --split x/../../y: give a split's name, such as val or test"
    ]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["best.pt", "run"]
    assert not Path(tmp_path.parent / "y").exists()
