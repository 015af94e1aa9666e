"""``tools/eval.py`` names a library error's settings by its own flags, and keeps the error's
type while doing so: an ``except ConfigError`` of a caller, and the exit code a type carries
(``PeerLostError``: 1, another process of the run failed; other user errors: 2), hold for the
tool as for the library."""

from __future__ import annotations

import runpy

import pytest
from tool_in_process import REPO, run_tool_here

from detseg.config import ConfigError
from detseg.engine.runtime.failing_together import PeerLostError
from detseg.evaluation import checkpoint_eval, prediction_files_eval


def _eval_main():
    """``main`` of ``tools/eval.py``, not run as the command (its exceptions reach the test)."""
    return runpy.run_path(str(REPO / "tools" / "eval.py"), run_name="eval_tool")["main"]


def _raising(error: Exception):
    def evaluate(*args, **kwargs):
        raise error

    return evaluate


def test_a_checkpoint_evaluations_config_error_stays_a_config_error(tmp_path, monkeypatch):
    error = ConfigError("no such split {split}", split="tset")
    monkeypatch.setattr(checkpoint_eval, "evaluate_checkpoint", _raising(error))
    with pytest.raises(ConfigError) as info:
        _eval_main()([str(tmp_path / "best.pt"), "--out", str(tmp_path / "eval")])
    assert str(info.value) == "no such split --split tset"  # named as the flag typed


def test_a_lost_peer_exits_with_its_own_code(tmp_path, monkeypatch, capsys):
    error = PeerLostError("another process of the run ended; see its output")
    monkeypatch.setattr(checkpoint_eval, "evaluate_checkpoint", _raising(error))
    code = run_tool_here("eval.py", tmp_path / "best.pt", "--out", tmp_path / "eval")
    assert code == PeerLostError.exit_code == 1
    assert "another process of the run ended" in capsys.readouterr().err


def test_the_prediction_file_form_keeps_the_type(tmp_path, monkeypatch):
    error = ConfigError("bad {metric}", metric="coco")
    monkeypatch.setattr(prediction_files_eval, "evaluate_prediction_files", _raising(error))
    gt, pred = tmp_path / "gt.json", tmp_path / "pred.json"
    gt.write_text("{}")
    pred.write_text("[]")
    with pytest.raises(ConfigError):
        _eval_main()(["--gt", str(gt), "--pred", str(pred), "--out", str(tmp_path / "eval")])
