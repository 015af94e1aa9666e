"""A source whose frames change size on the way (a stream switching resolution): ``stream``
gives each frame as it comes, ``predict_video`` scales the drawings of the odd-sized frames to
the video's size and says so once, the records keeping each frame's own pixels."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest

import detseg
from detseg.api import VideoSource, predict_video

#: OpenCV's own capture, to read the written video back while the stand-in is in place
REAL_CAPTURE = cv2.VideoCapture

#: (height, width) of each frame: the size changes at frame 2
SIZES = [(64, 64), (64, 64), (48, 80), (48, 80), (96, 32)]


class _Capture:
    """A ``cv2.VideoCapture`` stand-in giving BGR frames of :data:`SIZES`."""

    def __init__(self, *source: object) -> None:  # the file, and the backend to use
        self.frames = [np.full((h, w, 3), 40 * i, dtype=np.uint8) for i, (h, w) in enumerate(SIZES)]

    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return True

    def read(self) -> tuple[bool, np.ndarray | None]:
        return (True, self.frames.pop(0)) if self.frames else (False, None)

    def get(self, prop: int) -> float:
        return {cv2.CAP_PROP_FPS: 10.0, cv2.CAP_PROP_FRAME_COUNT: float(len(SIZES))}.get(prop, 0)

    def release(self) -> None:
        pass


@pytest.fixture
def resizing_video(tmp_path, monkeypatch):
    """A video file whose frames are of :data:`SIZES` (read through :class:`_Capture`)."""
    path = tmp_path / "resizing.mp4"
    path.write_bytes(b"\0\0\0\x08free")  # an MP4 box; the frames come from the stand-in
    monkeypatch.setattr(cv2, "VideoCapture", _Capture)
    return path


def test_stream_gives_each_frame_at_its_own_size(detector_checkpoint, resizing_video):
    predictor = detseg.load(detector_checkpoint, device="cpu")
    results = list(predictor.stream(resizing_video, batch_size=3))  # sizes mixed in a batch
    assert [result.image.shape[:2] for result in results] == SIZES
    for result, (height, width) in zip(results, SIZES, strict=True):
        assert bool((result.boxes[:, 2] <= width + 1e-3).all())
        assert bool((result.boxes[:, 3] <= height + 1e-3).all())


@pytest.mark.parametrize("checkpoint", ["detector_checkpoint", "segmenter_checkpoint"])
def test_predict_video_fits_frames_of_another_size_into_the_video(
    checkpoint, resizing_video, tmp_path, caplog, request
):
    predictor = detseg.load(request.getfixturevalue(checkpoint), device="cpu")
    with caplog.at_level(logging.WARNING, logger="detseg.api.video_outputs"):
        run = predict_video(predictor, VideoSource(resizing_video), tmp_path / "out")
    assert (run.frames, run.fitted_frames) == (len(SIZES), 3)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "frame 2 is 80x48" in warnings[0] and "resizing.mp4" in warnings[0]
    records = [json.loads(line) for line in run.records.read_text().splitlines()]
    assert [record["frame"] for record in records] == list(range(len(SIZES)))
    if checkpoint == "detector_checkpoint":  # boxes in each frame's own pixels
        last = records[-1]["detections"]
        bottoms = [d["bbox"][1] + d["bbox"][3] for d in last]  # [x, y, w, h]
        assert last and max(bottoms) > 64  # the 32x96 frame's height
    written, shapes = REAL_CAPTURE(str(run.video)), []
    ok, frame = written.read()
    while ok:
        shapes.append(frame.shape)
        ok, frame = written.read()
    written.release()
    assert len(shapes) == len(SIZES) and len(set(shapes)) == 1
