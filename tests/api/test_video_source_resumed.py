"""A VideoSource iterated again (a second loop, a second ``predictor.stream`` of it) goes on
where the last one stopped, its frames keeping their index and time in the video."""

from __future__ import annotations

import itertools

import numpy as np

import detseg
from detseg.api import VideoSource


def test_a_second_loop_goes_on_with_the_next_frames(video):
    with VideoSource(video) as source:
        every = [frame.image for frame in VideoSource(video)]
        first = list(itertools.islice(source, 2))
        rest = list(source)
    assert [frame.index for frame in first + rest] == list(range(len(every))) == [0, 1, 2, 3, 4]
    assert [frame.time for frame in rest] == [i / source.fps for i in range(2, len(every))]
    for frame in first + rest:
        assert np.array_equal(frame.image, every[frame.index])


def test_two_streams_of_one_source_number_its_frames_on(detector_checkpoint, video):
    predictor = detseg.load(detector_checkpoint, device="cpu")
    with VideoSource(video) as source:
        first = [result.frame for result in predictor.stream(source, max_frames=2)]
        second = [result.frame for result in predictor.stream(source, max_frames=2)]
        third = [result.frame for result in predictor.stream(source)]
    assert (first, second, third) == ([0, 1], [2, 3], [4])
