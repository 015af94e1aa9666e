"""The suite's two report files under a stop while writing: no temporary file is left behind,
and the JSON (what ``suite --only`` keeps rows from) is never behind the markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import detseg.benchmark.suite_report as suite_report
import detseg.benchmark.suite_runner as suite_runner
from detseg.benchmark.suite import CPU_ROWS
from detseg.benchmark.suite_report import _replace_text
from detseg.benchmark.suite_runner import run_suite


def test_a_stop_while_writing_leaves_the_old_report_and_no_partial_file(tmp_path, monkeypatch):
    report = tmp_path / "suite.md"
    report.write_text("old")
    real_write_text = Path.write_text

    def interrupted(path, text, *args, **kwargs):
        real_write_text(path, text[:3], *args, **kwargs)  # part of the file, then SIGINT
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _replace_text(report, "new text")
    monkeypatch.undo()
    assert report.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["suite.md"]


def test_a_stop_between_the_two_files_leaves_the_json_ahead(tmp_path, monkeypatch):
    """Stopped after the first file of a row's report: the row is in the JSON, so a later
    ``--only`` run keeps it (a markdown ahead of its JSON would lose it then)."""

    def failing(arch, **settings):
        raise RuntimeError("no memory")

    monkeypatch.setattr(suite_runner, "benchmark_model", failing)
    real = suite_report._replace_text
    calls: list[Path] = []

    def stop_at_the_fourth(path, text):  # the header's two files, the row's first, then stop
        calls.append(path)
        if len(calls) == 4:
            raise KeyboardInterrupt
        real(path, text)

    monkeypatch.setattr(suite_report, "_replace_text", stop_at_the_fourth)
    out = tmp_path / "suite.md"
    with pytest.raises(KeyboardInterrupt):
        run_suite(CPU_ROWS[:1], "cpu", out, repeats=1)
    rows = json.loads(out.with_suffix(".json").read_text())["rows"]
    assert [row["name"] for row in rows] == ["lraspp"]
