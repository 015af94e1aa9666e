"""``benchmark.py suite --out`` names the markdown file: a folder given as ``--out`` is refused
in one line that says which file to give, before any row runs (a folder without a suffix
would otherwise be called a folder to write in by the error line), and so is a file that is
no ``.md`` (a config given by mistake would be written over)."""

from __future__ import annotations

import pytest

from detseg.benchmark import suite_runner
from detseg.benchmark.suite import CPU_ROWS
from detseg.benchmark.suite_runner import run_suite


def test_a_folder_as_out_is_refused_before_any_row(tmp_path, monkeypatch):
    def no_row(*args, **kwargs):
        raise AssertionError("a row ran")

    monkeypatch.setattr(suite_runner, "run_row", no_row)
    with pytest.raises(ValueError) as info:
        run_suite(CPU_ROWS[:1], "cpu", tmp_path, repeats=1)
    message = str(info.value)
    assert message == (
        f"--out {tmp_path} is a folder: give the markdown file to write, e.g. --out "
        f"{tmp_path / 'suite_cpu.md'}"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["suite.json", "demo.yaml", "report"])
def test_an_out_that_is_no_markdown_file_is_refused_and_left_as_it_was(tmp_path, monkeypatch, name):
    """A config given as ``--out`` by mistake was written over by the markdown table."""

    def no_row(*args, **kwargs):
        raise AssertionError("a row ran")

    monkeypatch.setattr(suite_runner, "run_row", no_row)
    out = tmp_path / name
    out.write_text("model:\n  name: faster_rcnn\n")
    with pytest.raises(ValueError) as info:
        run_suite(CPU_ROWS[:1], "cpu", out, repeats=1)
    assert str(info.value) == (
        f"--out {out}: give the markdown file (.md); the JSON goes next to it."
    )
    assert out.read_text() == "model:\n  name: faster_rcnn\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
