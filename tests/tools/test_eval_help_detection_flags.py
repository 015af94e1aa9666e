"""``tools/eval.py --help`` says which flags serve a detector's report only: each flag that the
tool warns about and ignores for a segmentation checkpoint (``DETECTION_FLAGS``) says so in its
help, so that ``--score-thr`` is not taken for a threshold of the segmenter's confusion matrix."""

from __future__ import annotations

import argparse
import sys

import pytest
from tool_modules import load_tool


class _Caught(Exception):
    """Raised in place of parsing: carries the parser the tool built."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        super().__init__()
        self.parser = parser


def test_every_detection_flag_says_a_segmenter_ignores_it(monkeypatch):
    tool = load_tool("eval.py")

    def catch(self, args=None, namespace=None):
        raise _Caught(self)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", catch)
    monkeypatch.setattr(sys, "argv", ["eval.py"])
    with pytest.raises(_Caught) as caught:
        tool.parse_args()
    helps = {
        option: str(action.help)
        for action in caught.value.parser._actions
        for option in action.option_strings
    }
    unsaid = [flag for flag in tool.DETECTION_FLAGS if "ignored for a segmenter" not in helps[flag]]
    assert not unsaid, unsaid
