"""``tools/eval.py`` on a segmentation checkpoint says which detection-report flags it ignored
(--backend, --metric, --worst-k, --score-thr: a segmenter is scored by mIoU)."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import pytest

from detseg.evaluation.summary import EvaluationSummary

TOOL = Path(__file__).resolve().parents[2] / "tools" / "eval.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("tool_eval_flags", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _evaluated_as(tool, monkeypatch, metrics: dict) -> list:
    """Replace the evaluation by one returning ``metrics``; the arguments it gets, per call."""
    calls = []

    def evaluate(args, out):
        calls.append(args)
        out.mkdir(parents=True, exist_ok=True)  # as the library's evaluations create it
        (out / "metrics.json").write_text("{}", encoding="utf-8")
        return EvaluationSummary("evaluation", "table", metrics)

    monkeypatch.setattr(tool, "_evaluate", evaluate)
    return calls


def test_detection_flags_given_for_a_segmenter_are_named(tool, tmp_path, monkeypatch, caplog):
    _evaluated_as(tool, monkeypatch, {"mIoU": 0.5})
    checkpoint = tmp_path / "seg.pt"
    checkpoint.write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        assert tool.main([str(checkpoint), "--worst-k", "3", "--score-thr", "0.5"]) == 0
    assert "--worst-k, --score-thr: no use for a segmentation checkpoint" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert tool.main([str(checkpoint)]) == 0  # the defaults: nothing to say
    assert "no use" not in caplog.text


def test_a_detector_takes_them_silently_with_the_defaults_kept(tool, tmp_path, monkeypatch, caplog):
    calls = _evaluated_as(tool, monkeypatch, {"AP": 0.5})
    checkpoint = tmp_path / "det.pt"
    checkpoint.write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        assert tool.main([str(checkpoint), "--score-thr", "0.5", "--metric", "voc07"]) == 0
    assert "no use" not in caplog.text
    assert calls[0].worst_k is None and tool.WORST_K == 8 and tool.SCORE_THR == 0.3
    with pytest.raises(SystemExit):
        tool.parse_args([str(checkpoint), "--worst-k", "-1"])
