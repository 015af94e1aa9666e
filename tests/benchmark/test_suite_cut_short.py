"""A suite cut short (a time limit's SIGINT, Ctrl-C) keeps the rows it finished, and its
markdown and JSON name the rows it did not run; the reports are replaced whole, never half
written."""

from __future__ import annotations

import json

import pytest

import detseg.benchmark.suite_runner as suite_runner
from detseg.benchmark.suite import GPU_ROWS
from detseg.benchmark.suite_report import _replace_text
from detseg.benchmark.suite_runner import run_suite

ROWS = GPU_ROWS[:3]  # never measured here: benchmark_model is replaced


def _fail_then_interrupt(arch, **settings):
    """The first row fails at once; the second is stopped as ``timeout --signal=INT`` does."""
    if arch == ROWS[0].arch and settings["amp"] == ROWS[0].amp and not settings["channels_last"]:
        raise RuntimeError("CUDA error: an illegal memory access")
    raise KeyboardInterrupt


def test_an_interrupted_suite_keeps_its_rows_and_names_those_not_run(tmp_path, monkeypatch):
    monkeypatch.setattr(suite_runner, "benchmark_model", _fail_then_interrupt)
    out = tmp_path / "suite_cuda.md"
    with pytest.raises(KeyboardInterrupt):
        run_suite(ROWS, "cpu", out, repeats=1)

    markdown = out.read_text()
    assert "| Faster R-CNN R50-FPN (`fasterrcnn_bf16`) |" in markdown  # the finished row
    assert "failed: RuntimeError: CUDA error: an illegal memory access" in markdown
    assert "**Not run: 2 row(s)** (`fasterrcnn_fp32`, `fasterrcnn_bf16_cl`)" in markdown
    assert "--only fasterrcnn_fp32 fasterrcnn_bf16_cl`" in markdown
    data = json.loads(out.with_suffix(".json").read_text())
    assert [row["name"] for row in data["rows"]] == ["fasterrcnn_bf16"]
    assert data["not_run"] == ["fasterrcnn_fp32", "fasterrcnn_bf16_cl"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["suite_cuda.json", "suite_cuda.md"]


def test_a_finished_suite_has_no_rows_not_run(tmp_path, monkeypatch):
    def failing(arch, **settings):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(suite_runner, "benchmark_model", failing)
    out = tmp_path / "suite.md"
    results = run_suite(ROWS, "cpu", out, repeats=1)
    assert len(results) == 3
    assert "Not run" not in out.read_text()
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["not_run"] == [] and len(data["rows"]) == 3


def test_the_header_before_the_first_row_lists_every_row_as_not_run(tmp_path, monkeypatch):
    out = tmp_path / "suite.md"

    def check_header(arch, **settings):
        assert json.loads(out.with_suffix(".json").read_text())["not_run"] == ["fasterrcnn_bf16"]
        raise RuntimeError("stop")

    monkeypatch.setattr(suite_runner, "benchmark_model", check_header)
    run_suite(ROWS[:1], "cpu", out, repeats=1)


def test_a_report_that_cannot_replace_its_path_names_it_and_leaves_no_partial_file(tmp_path):
    folder = tmp_path / "suite.md"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        _replace_text(folder, "text")
    assert caught.value.filename == str(folder)  # the tools' error line names the report
    assert [path.name for path in tmp_path.iterdir()] == ["suite.md"]
    report = tmp_path / "report.md"
    report.write_text("old")
    _replace_text(report, "new")
    assert report.read_text() == "new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.md", "suite.md"]
