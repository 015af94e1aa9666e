"""The suite's report path is checked before any row runs, and a row name of the other device's
table says so."""

from __future__ import annotations

import pytest

import detseg.benchmark.suite_runner as suite_runner
from detseg.benchmark.suite import CPU_ROWS, GPU_ROWS, select_rows
from detseg.benchmark.suite_runner import run_suite


def _no_benchmark(arch, **settings):
    raise AssertionError(f"{arch} ran although the report cannot be written")


@pytest.mark.parametrize("where", ["under_a_file", "a_folder"])
def test_an_unwritable_report_fails_before_the_first_row(tmp_path, monkeypatch, where):
    monkeypatch.setattr(suite_runner, "benchmark_model", _no_benchmark)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    out = blocker / "suite.md" if where == "under_a_file" else tmp_path
    lines: list[str] = []
    # a folder is a wrong argument (the markdown file is meant), a file in the way an OS error
    with pytest.raises(ValueError if where == "a_folder" else OSError):
        run_suite(CPU_ROWS[:1], "cpu", out, repeats=1, progress=lines.append)
    assert lines == []  # not even the first row's progress line


def test_the_report_header_is_written_before_the_rows(tmp_path, monkeypatch):
    out = tmp_path / "suite.md"

    def header_already_written(arch, **settings):
        assert out.read_text().startswith("# detseg vs torchvision: the target table on cpu")
        assert out.with_suffix(".json").is_file()
        raise RuntimeError("stop here")

    monkeypatch.setattr(suite_runner, "benchmark_model", header_already_written)
    [result] = run_suite(CPU_ROWS[:1], "cpu", out, repeats=1)
    assert result.error == "RuntimeError: stop here"


def test_a_row_of_the_other_table_is_named_with_its_device():
    with pytest.raises(ValueError, match="fasterrcnn_bf16 is a row of the --device cuda table"):
        select_rows(CPU_ROWS, ["fasterrcnn_bf16"])
    with pytest.raises(ValueError, match="lraspp fcn are rows of the --device cpu table"):
        select_rows(GPU_ROWS, ["lraspp", "fcn"])
    with pytest.raises(ValueError, match=r"choose from lraspp, .*maskrcnn\.$"):
        select_rows(CPU_ROWS, ["nosuch"])
