"""``tools/infer.py --help`` and its module docstring say how long a stream URL may take to
answer: the wait of :data:`detseg.api.video_streams.STREAM_TIMEOUT`, not OpenCV's silent
30 s."""

from __future__ import annotations

import pytest
from tool_modules import load_tool

from detseg.api.video_streams import STREAM_TIMEOUT


def test_help_says_how_long_a_stream_may_wait(run_tool):
    result = run_tool("infer.py", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "one that does not answer within --stream-timeout is given up" in text, text
    assert f"given up (default: {STREAM_TIMEOUT:g};" in text, text


def test_the_flag_defaults_to_the_library_wait():
    args = load_tool("infer.py").parse_args(["run/best.pt", "rtsp://camera"])
    assert args.stream_timeout == STREAM_TIMEOUT


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_a_wait_that_is_no_positive_number_is_refused(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_tool("infer.py").parse_args(
            ["run/best.pt", "rtsp://camera", "--stream-timeout", value]
        )
    assert exit_info.value.code == 2
    assert "--stream-timeout must be a positive number of seconds" in capsys.readouterr().err


def test_the_docstring_says_the_same_wait():
    text = " ".join((load_tool("infer.py").__doc__ or "").split())
    assert f"does not answer within {STREAM_TIMEOUT:g} s" in text
