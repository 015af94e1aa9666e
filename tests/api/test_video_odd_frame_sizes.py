"""VideoWriter with frames of odd width or height (the mp4v codec stores even sides only)."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.api.video import VideoSource, VideoWriter


def _frames_back(path) -> list[np.ndarray]:
    with VideoSource(path) as source:
        return [frame.image for frame in source]


@pytest.mark.parametrize(("height", "width"), [(31, 45), (32, 45), (31, 46)])
def test_odd_sides_keep_their_last_row_and_column(tmp_path, height, width) -> None:
    image = np.full((height, width, 3), 128, dtype=np.uint8)
    image[:, -1] = (255, 0, 0)  # the last column red
    image[-1, :-1] = (0, 255, 0)  # the last row green
    path = tmp_path / "odd.mp4"
    with VideoWriter(path, fps=10.0) as writer:
        for _ in range(2):
            writer.write(image)
    assert writer.video_size == (width + width % 2, height + height % 2)
    frames = _frames_back(path)
    assert len(frames) == 2
    frame = frames[0].astype(int)
    assert frame.shape == (height + height % 2, width + width % 2, 3)
    red, green = frame[height // 2, width - 1], frame[height - 1, width // 2]
    assert red[0] > 150 and red[1] < 90 and red[2] < 90, red
    assert green[1] > 150 and green[0] < 90 and green[2] < 90, green
    assert abs(frame[height // 2, width // 2] - 128).max() < 12  # not shifted


def test_a_one_pixel_frame_is_written(tmp_path) -> None:
    path = tmp_path / "dot.mp4"
    with VideoWriter(path, fps=5.0) as writer:
        writer.write(np.full((1, 1, 3), 200, dtype=np.uint8))
    assert writer.video_size == (2, 2)
    assert _frames_back(path)[0].shape == (2, 2, 3)


def test_a_float_frame_is_refused_with_its_index(tmp_path) -> None:
    with (
        VideoWriter(tmp_path / "f.mp4", fps=5.0) as writer,
        pytest.raises(ValueError, match=r"frame 0 must be a uint8 \[H, W, 3\] RGB image"),
    ):
        writer.write(np.zeros((4, 4, 3), dtype=np.float32))
