"""A video whose first byte happens to be ``<``, ``{`` or ``[`` is not taken for a web page or
a data file: only a start that is text (printable UTF-8, no control byte) is refused before
FFmpeg opens it. A video file this user may not read is one reason naming it, not a bare
``PermissionError``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from detseg.api.video import VideoSource
from detseg.api.video_file_problems import unopenable_video_file


def _m2ts_head() -> bytes:
    """The start of a BDAV (M2TS) stream: 192-byte packets, each a 4-byte arrival timestamp
    (here starting with 0x3C, ``<``) and a 188-byte transport packet (sync byte 0x47)."""
    packets = b""
    for index in range(3):
        timestamp = (0x3C000000 + index * 1880).to_bytes(4, "big")
        packets += timestamp + b"\x47\x40\x00\x10" + bytes(184)
    return packets


def _mdat_first_head() -> bytes:
    """The start of a MOV whose first box is an ``mdat`` of about 960 MiB (its 32-bit length
    0x3C000010 starts with ``<``), then frame data."""
    return (0x3C000010).to_bytes(4, "big") + b"mdat" + bytes(range(256)) * 2


@pytest.mark.parametrize(
    ("name", "head"),
    [("clip.m2ts", _m2ts_head()), ("clip.ts", _m2ts_head()), ("big.mov", _mdat_first_head())],
)
def test_a_binary_head_starting_with_a_bracket_is_not_a_document(tmp_path, name, head):
    assert head[:1] == b"<"
    video = tmp_path / name
    video.write_bytes(head)
    assert unopenable_video_file(video) is None


@pytest.mark.parametrize("opening", [b"{", b"["])
def test_a_binary_head_starting_with_a_brace_is_not_a_document(tmp_path, opening):
    video = tmp_path / "clip.mkv"
    video.write_bytes(opening + b"\x00\x00\x01\xb3" + bytes(600))
    assert unopenable_video_file(video) is None


@pytest.mark.parametrize(
    "text",
    [
        '{"message": "caf\u00e9 \u2014 expired"}',  # UTF-8 past ASCII is still text
        "<html>" + "\u00e9" * 40 + "</html>",  # a character cut at the probe's end
        '\ufeff  [{"error": "not found"}]',
    ],
)
def test_a_text_document_is_still_refused(tmp_path, text):
    page = tmp_path / "clip.webm"
    page.write_text(text, encoding="utf-8")
    assert unopenable_video_file(page) is not None


def test_a_video_this_user_may_not_read_is_one_reason_naming_it(tmp_path, monkeypatch):
    """Tests run as root, who reads any file: the refusal is imitated on ``Path.open``."""
    video = tmp_path / "clip.mp4"
    video.write_bytes(_mdat_first_head())

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    reason = "this user may not read it (permission denied); give it read permission "
    reason += "(chmod a+r) or give a copy this user may read"
    assert unopenable_video_file(video) == reason
    with pytest.raises(ValueError, match=re.escape(f"cannot open video {video}: {reason}")):
        VideoSource(video)


def test_a_video_that_cannot_be_read_says_why(tmp_path, monkeypatch):
    video = tmp_path / "clip.mp4"
    video.write_bytes(_mdat_first_head())

    def fail(self, *args, **kwargs):
        raise OSError(5, "Input/output error", str(self))

    monkeypatch.setattr(Path, "open", fail)
    assert unopenable_video_file(video) == (
        "it cannot be read (Input/output error); check the disk, or copy it again"
    )
