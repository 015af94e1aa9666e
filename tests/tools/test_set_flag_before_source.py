"""``--set`` written before the first argument of the tools that read a config: it takes every
word up to the next flag, so the config (or data file) becomes an override and argparse alone
says only that the argument is missing; each tool says what happened and where to write it.
(``tools/train.py``'s cases: ``test_train_set_flags.py``.)"""

from __future__ import annotations

import pytest
from tool_modules import load_tool


@pytest.mark.parametrize(
    ("script", "first"),
    [("check_data.py", "CONFIG_OR_DATA_YAML"), ("anchors.py", "COCO_JSON_CONFIG_OR_DATA_YAML")],
)
def test_a_source_after_set_is_named(capsys, script, first):
    with pytest.raises(SystemExit) as stop:
        load_tool(script).parse_args(["--set", "data.root=datasets/shapes", "demo"])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error: 'demo' was read as a --set item (--set takes every word up to the next" in error
    assert f"put {first} before --set" in error


def test_an_override_after_another_flag_says_to_write_set_there(capsys):
    argv = ["demo", "--set", "seed=3", "--out", "runs/x", "data.root=datasets/shapes"]
    with pytest.raises(SystemExit):
        load_tool("check_data.py").parse_args(argv)
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "write --set before it: --set data.root=datasets/shapes" in error


def test_a_checkpoint_after_set_is_named_by_eval(capsys):
    with pytest.raises(SystemExit) as stop:
        load_tool("eval.py").parse_args(["--set", "eval.max_images=1", "runs/demo/best.pt"])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error: 'runs/demo/best.pt' was read as a --set item" in error
    assert "put CHECKPOINT before --set" in error


def test_eval_without_a_checkpoint_still_names_both_forms(capsys):
    with pytest.raises(SystemExit):
        load_tool("eval.py").parse_args(["--set", "eval.max_images=1"])
    assert "give a CHECKPOINT, or --gt ANN.json and --pred" in capsys.readouterr().err


def test_an_unrelated_eval_error_keeps_its_own_words(capsys):
    argv = ["best.pt", "--gt", "a.json", "--pred", "p.json", "--set", "stray"]
    with pytest.raises(SystemExit):
        load_tool("eval.py").parse_args(argv)
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.endswith("error: give either CHECKPOINT or --gt and --pred, not both")


def test_infer_says_to_write_set_before_an_override_after_another_flag(capsys):
    argv = ["best.pt", "a.png", "--set", "eval.tta=hflip", "--out", "o", "eval.crf.iterations=2"]
    with pytest.raises(SystemExit):
        load_tool("infer.py").parse_args(argv)
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "write --set before it: --set eval.crf.iterations=2" in error
