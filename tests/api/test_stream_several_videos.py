"""``Predictor.stream`` over several videos, and videos mixed with images (a glob pattern, a
list, an iterator): each video's frames (with ``path``, ``frame``, ``time``) and each image's
result in input order, one video open at a time; ``max_frames`` counts the results of all of
them together; an unreadable video among them is the error of a single one."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from same_results import assert_same_results

import detseg
from detseg.api import Predictor, VideoSource, VideoWriter

FRAMES = 2  # per video: tiny 32 x 32 clips keep the CPU time small


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    """A folder with ``a.mp4`` and ``b.mp4`` (2 frames each, 32 x 32) and ``notes.txt``."""
    folder = tmp_path_factory.mktemp("clips")
    for shade, name in ((40, "a.mp4"), (200, "b.mp4")):
        with VideoWriter(folder / name, fps=10.0) as writer:
            for i in range(FRAMES):
                frame = np.full((32, 32, 3), shade, np.uint8)
                frame[8:20, 4 + 4 * i : 16 + 4 * i] = (240, 200, 40)  # a square moving right
                writer.write(frame)
    (folder / "notes.txt").write_text("not a video")
    return folder


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("photo") / "photo.png"
    rgb = np.full((32, 40, 3), 60, np.uint8)
    rgb[4:20, 6:30] = (220, 60, 40)
    assert cv2.imwrite(str(path), rgb[:, :, ::-1])
    return path


@pytest.fixture(scope="module")
def detector(detector_checkpoint) -> Predictor:
    return detseg.load(detector_checkpoint, device="cpu")


def test_a_glob_of_two_videos_gives_the_frames_of_both_in_order(predictor, clips):
    a, b = clips / "a.mp4", clips / "b.mp4"
    expected = [(a, i) for i in range(FRAMES)] + [(b, i) for i in range(FRAMES)]
    spanning = predictor.stream(str(clips / "*"), batch_size=3)  # a batch holds a1 and b0
    assert [(r.path, r.frame) for r in spanning] == expected
    streamed = list(predictor.stream(str(clips / "*")))
    assert [(r.path, r.frame) for r in streamed] == expected
    assert [r.time for r in streamed] == pytest.approx([0.0, 0.1] * 2)  # 10 fps
    one_by_one = [*predictor.stream(a), *predictor.stream(b)]
    for got, alone in zip(streamed, one_by_one, strict=True):
        assert (got.frame, got.time) == (alone.frame, alone.time)
        assert_same_results(got, alone)


def test_a_list_or_an_iterator_mixing_images_and_videos_keeps_their_order(predictor, clips, photo):
    a = clips / "a.mp4"
    image = predictor.predict(photo)
    for source in ([photo, a, str(photo)], (photo, a, str(photo)), iter([photo, a, photo])):
        streamed = list(predictor.stream(source))
        assert [(r.path, r.frame) for r in streamed] == [
            (photo, None),
            *[(a, i) for i in range(FRAMES)],
            (photo, None),
        ]
        assert streamed[0].time is None and streamed[2].time == pytest.approx(0.1)
        assert_same_results(streamed[0], image)
        assert_same_results(streamed[-1], image)


def test_max_frames_counts_the_results_of_every_video_together(detector, clips, tmp_path):
    pattern = str(clips / "*.mp4")
    three = [(r.path.name, r.frame) for r in detector.stream(pattern, max_frames=3)]
    assert three == [("a.mp4", 0), ("a.mp4", 1), ("b.mp4", 0)]
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    first = list(detector.stream([clips / "a.mp4", broken], max_frames=FRAMES))
    assert len(first) == FRAMES  # the video after the last result is never opened


def test_one_video_is_open_at_a_time_and_each_is_closed(detector, clips, monkeypatch):
    opened: list[VideoSource] = []

    class CountingSource(VideoSource):
        def __init__(self, source) -> None:
            assert all(video.closed for video in opened), "a video opened before the last closed"
            super().__init__(source)
            opened.append(self)

    monkeypatch.setattr("detseg.api.media_stream.VideoSource", CountingSource)
    assert len(list(detector.stream([clips / "a.mp4", clips / "b.mp4"]))) == 2 * FRAMES
    assert len(opened) == 2 and all(video.closed for video in opened)
    opened.clear()
    for result in detector.stream(str(clips / "*.mp4")):
        if result.path == clips / "b.mp4":
            break  # a loop that stops early
    assert len(opened) == 2 and all(video.closed for video in opened)  # ended with the loop


def test_an_unreadable_video_in_a_list_is_the_error_of_a_single_one(detector, clips, tmp_path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video" * 4)
    with pytest.raises(ValueError) as alone:
        detector.stream(corrupt)
    stream = detector.stream([clips / "a.mp4", corrupt, clips / "b.mp4"])
    assert [next(stream).frame for _ in range(FRAMES)] == [0, 1]  # a's frames first
    with pytest.raises(ValueError, match=re.escape(str(alone.value))) as listed:
        next(stream)
    assert str(listed.value) == str(alone.value) and "corrupt.mp4" in str(listed.value)
    assert "\n" not in str(listed.value)

    missing = tmp_path / "missing.mp4"
    with pytest.raises(FileNotFoundError) as alone_missing:
        detector.stream(missing)
    with pytest.raises(FileNotFoundError, match=re.escape(str(alone_missing.value))):
        detector.stream([clips / "a.mp4", missing])  # at the call, before the first result


def test_the_results_before_an_unreadable_video_in_its_batch_are_given(detector, clips, tmp_path):
    """A batch the bad video cuts short is predicted first: the error comes after every result
    of the inputs before it, whatever the ``batch_size``."""
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video" * 4)
    with pytest.raises(ValueError) as alone:
        detector.stream(corrupt)
    given = []
    with pytest.raises(ValueError) as listed:
        for result in detector.stream([clips / "a.mp4", corrupt, clips / "b.mp4"], batch_size=4):
            given.append((result.path, result.frame))
    assert given == [(clips / "a.mp4", i) for i in range(FRAMES)]
    assert str(listed.value) == str(alone.value)


def test_an_open_video_source_in_a_list_is_refused_naming_the_fix(detector, clips, photo):
    with VideoSource(clips / "a.mp4") as video:
        with pytest.raises(ValueError, match=r"^item 1 of the input list: an open VideoSource "):
            detector.stream([photo, video])
