"""The one stderr line that ``run_command`` prints for a user error, for tests that call a
``main`` in process."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from detseg.command_line import USER_ERROR_EXIT_CODE, run_command


def user_error_line(main: Callable[[], int], capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``main`` as the ``train`` tool (``sys.argv[0]`` is ``train.py``): it must exit with
    the user-error code and print exactly one line to stderr, which is returned."""
    saved = sys.argv
    sys.argv = ["train.py"]
    try:
        with pytest.raises(SystemExit) as stop:
            run_command(main, "train")
    finally:
        sys.argv = saved
    assert stop.value.code == USER_ERROR_EXIT_CODE
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]
