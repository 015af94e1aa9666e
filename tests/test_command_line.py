"""``run_command``: an output that cannot be written is one line naming the output and the flag.

The errors are raised by a stand-in ``main`` with the ``OSError`` that ``mkdir`` or ``open``
raise, so the rule is checked apart from any tool; the tools themselves are run on unwritable
paths in ``tests/tools/test_unwritable_outputs.py``.
"""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path

import pytest

from detseg.command_line import USER_ERROR_EXIT_CODE, declare_output, run_command, user_path


def run(main, *argv: str) -> int:
    """The exit code of ``run_command(main, "tool")`` with ``argv`` as the command line."""
    saved = sys.argv
    sys.argv = ["tool.py", *argv]
    try:
        run_command(main, "tool")
    except SystemExit as stop:
        return int(stop.code or 0)
    finally:
        sys.argv = saved
    raise AssertionError("run_command returned")


def raising(error: BaseException, *outputs: tuple[object, str]):
    """A ``main`` that declares ``outputs`` and then raises ``error``."""

    def main() -> int:
        for path, argument in outputs:
            declare_output(path, argument)
        raise error

    return main


def error_line(capsys) -> str:
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("form", ["separate", "joined"])
def test_a_failed_write_under_out_names_the_out_path(tmp_path, capsys, form):
    out = tmp_path / "out"
    error = PermissionError(errno.EACCES, "Permission denied", str(out / "sub" / "report.html"))
    argv = ["--out", str(out)] if form == "separate" else [f"--out={out}"]
    assert run(raising(error), "input.png", *argv) == USER_ERROR_EXIT_CODE
    assert error_line(capsys) == (
        f"tool: error: cannot write {out}: Permission denied; choose a writable folder with --out"
    )


def test_a_folder_above_out_that_cannot_be_made(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    out = blocker / "x" / "out"
    error = FileExistsError(errno.EEXIST, "File exists", str(blocker))  # mkdir(parents=True)
    assert run(raising(error), "--out", str(out)) == USER_ERROR_EXIT_CODE
    assert error_line(capsys) == (
        f"tool: error: cannot write {out}: {blocker} is a file; choose a writable folder with --out"
    )


def test_an_output_file_is_advised_as_a_file(tmp_path, capsys):
    out = tmp_path / "no_such_folder" / "suite.md"
    error = FileNotFoundError(errno.ENOENT, "No such file or directory", str(out))
    assert run(raising(error), "--out", str(out)) == USER_ERROR_EXIT_CODE
    assert error_line(capsys).endswith("; choose a writable file with --out")


def test_a_relative_out_is_named_as_given(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    error = OSError(errno.EROFS, "Read-only file system", str(tmp_path / "runs" / "x"))
    assert run(raising(error), "--out", "runs/x") == USER_ERROR_EXIT_CODE
    assert error_line(capsys).startswith("tool: error: cannot write runs/x: Read-only file system;")


def test_a_declared_positional_output(tmp_path, capsys):
    dst = tmp_path / "dst"
    error = OSError(errno.ENOSPC, "No space left on device", str(dst / "images" / "a.png"))
    assert run(raising(error, (dst, "DST_ROOT"))) == USER_ERROR_EXIT_CODE
    assert error_line(capsys) == (
        f"tool: error: cannot write {dst}: No space left on device; free space on its disk, or "
        "choose a folder on another disk for DST_ROOT"
    )


def test_declarations_do_not_outlive_their_run(tmp_path, capsys):
    out = tmp_path / "out"
    assert run(raising(ValueError("bad"), (out, "--out"))) == USER_ERROR_EXIT_CODE
    capsys.readouterr()
    with pytest.raises(OSError, match="Read-only"):  # not a user error without the declaration
        run(raising(OSError(errno.EROFS, "Read-only file system", str(out))))


def test_errors_about_other_paths_are_left_as_they_are(tmp_path, capsys):
    out = tmp_path / "out"
    missing = FileNotFoundError(errno.ENOENT, "No such file or directory", str(tmp_path / "in"))
    assert run(raising(missing), "--out", str(out)) == USER_ERROR_EXIT_CODE
    assert "cannot write" not in error_line(capsys)
    # a file missing inside an existing output folder is an input read from there
    out.mkdir()
    inside = FileNotFoundError(errno.ENOENT, "No such file or directory", str(out / "pred.json"))
    assert run(raising(inside), "--out", str(out)) == USER_ERROR_EXIT_CODE
    assert "cannot write" not in error_line(capsys)
    with pytest.raises(OSError, match="Input/output"):  # a bug or a broken disk: traceback
        run(raising(OSError(errno.EIO, "Input/output error", str(tmp_path / "in"))), "--out", "x")


def test_detseg_traceback_shows_the_output_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DETSEG_TRACEBACK", "1")
    error = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "out"))
    with pytest.raises(PermissionError):
        run(raising(error), "--out", str(tmp_path / "out"))


@pytest.mark.parametrize("text", ["", "  "])
def test_an_empty_path_argument_is_refused_not_read_as_the_current_folder(text, capsys):
    """``--out "$UNSET"`` must not write into the current folder."""
    parser = argparse.ArgumentParser(prog="tool")
    parser.add_argument("--out", type=user_path)
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--out", text])
    assert stopped.value.code == 2
    assert "argument --out: invalid user_path value" in capsys.readouterr().err


def test_a_path_argument_expands_the_home_folder():
    assert user_path("~/runs") == Path.home() / "runs"
