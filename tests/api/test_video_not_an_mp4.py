"""A file named ``.mp4`` that holds text (an error page a download saved under the video's
name) is said not to be an MP4, not to be a recording cut short: its first four letters read
as an MP4 box type, but no MP4/MOV file starts with such a box."""

from __future__ import annotations

import re

import pytest

from detseg.api.video import VideoSource
from detseg.api.video_file_problems import video_file_problem

ERROR_PAGES = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code></Error>\n',
    "Access denied: you are not allowed to download this file.\n",
]


@pytest.mark.parametrize("text", ERROR_PAGES)
def test_text_named_mp4_is_not_an_mp4(tmp_path, text):
    page = tmp_path / "clip.mp4"
    page.write_text(text)
    assert video_file_problem(page).startswith("it is not an MP4/MOV file")
    with pytest.raises(ValueError, match=re.escape(f"{page}: it is not an MP4/MOV file")):
        VideoSource(page)


def test_an_mp4_cut_short_is_still_said_to_be_cut_short(tmp_path, video):
    data = video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: data.index(b"moov") - 4])
    assert "'moov' atom" in video_file_problem(cut)
