"""A closed VideoSource: iterating it (or streaming it) is one clear error, not its first frame
alone with a warning that the file is truncated; closing it inside a loop ends the loop
without that warning."""

from __future__ import annotations

import logging
import re

import pytest

import detseg
from detseg.api import VideoSource


def test_streaming_a_source_after_its_with_block_is_refused(detector_checkpoint, video):
    predictor = detseg.load(detector_checkpoint, device="cpu")
    with VideoSource(video) as source:
        pass
    message = re.escape(f"VideoSource({str(video)!r}) is closed")
    with pytest.raises(ValueError, match=message + r".*predictor\.stream\("):
        predictor.stream(source)
    with pytest.raises(ValueError, match=message):
        next(iter(source))


def test_closing_a_source_inside_its_loop_ends_it_without_a_truncation_warning(video, caplog):
    source = VideoSource(video)
    indices = []
    with caplog.at_level(logging.WARNING, logger="detseg.api.video"):
        for frame in source:
            indices.append(frame.index)
            if frame.index == 1:
                source.close()
    assert indices == [0, 1]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_file_ending_early_still_warns(video, caplog, monkeypatch):
    source = VideoSource(video)
    monkeypatch.setattr(source, "frame_count", 9)  # the header announces more frames
    with caplog.at_level(logging.WARNING, logger="detseg.api.video"):
        assert len(list(source)) == 5
    source.close()
    assert "only 5 of the 9 frames" in caplog.text
