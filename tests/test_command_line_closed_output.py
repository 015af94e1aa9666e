"""``run_command`` when the reader of the standard output has gone (``detseg-anchors ... | head
-1``): the tool ends quietly with code 141 (as a process ended by SIGPIPE) instead of a
``BrokenPipeError`` traceback; a broken pipe that is not the standard output's stays an error.
"""

from __future__ import annotations

import io
import os
import sys

import pytest

from detseg.command_line import run_command

#: What a process ended by SIGPIPE (128 + 13) exits with.
CLOSED_OUTPUT_EXIT_CODE = 141


def _printing_main() -> int:
    print("# 6 boxes, input 416x416 px, k=3; anchors as [width, height] in input pixels")
    return 0


@pytest.fixture
def closed_pipe():
    """A text stream writing into a pipe whose read end is already closed (set as
    ``sys.stdout`` by the test itself: pytest's capture replaces it between the phases)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = open(write_end, "w")  # closed by the fixture after the test
    yield stream
    try:
        stream.close()
    except BrokenPipeError:
        pass


def test_a_closed_reader_ends_the_tool_quietly(closed_pipe, monkeypatch):
    errors = io.StringIO()
    monkeypatch.setattr(sys, "stdout", closed_pipe)
    monkeypatch.setattr(sys, "stderr", errors)
    with pytest.raises(SystemExit) as stop:
        run_command(_printing_main, "anchors")
    assert stop.value.code == CLOSED_OUTPUT_EXIT_CODE
    assert errors.getvalue() == ""


def test_another_broken_pipe_is_not_taken_for_a_closed_reader(monkeypatch):
    def main() -> int:
        raise BrokenPipeError(32, "Broken pipe")  # e.g. a worker's connection

    monkeypatch.setattr(sys, "argv", ["anchors.py"])
    with pytest.raises((SystemExit, BrokenPipeError)) as info:
        run_command(main, "anchors")
    if isinstance(info.value, SystemExit):
        assert info.value.code != CLOSED_OUTPUT_EXIT_CODE
