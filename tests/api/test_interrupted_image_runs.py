"""Ctrl-C while ``detect_images`` (``tools/infer.py`` on images) runs keeps the work done:
``predictions.json`` holds the detections of every image drawn so far (a video or a camera
stopped by Ctrl-C keeps its frames so far likewise: a finished mp4 and its records), and the
interrupt still ends the run."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import cv2
import pytest
import torch

import detseg
from detseg.api.image_outputs import detect_images
from detseg.api.inputs import InputImage
from detseg.api.video import Frame, VideoSource
from detseg.api.video_outputs import predict_video


def _two_images_then_ctrl_c(tmp_path) -> Iterator[InputImage]:
    for i in range(2):
        yield InputImage(torch.full((3, 40, 48), 0.3 + 0.2 * i), tmp_path / f"p{i}.png")
    raise KeyboardInterrupt


def test_the_images_done_before_ctrl_c_are_in_predictions_json(detector_checkpoint, tmp_path):
    predictor = detseg.load(detector_checkpoint, "cpu")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        detect_images(predictor, _two_images_then_ctrl_c(tmp_path), out, 0.0)
    records = json.loads((out / "predictions.json").read_text())
    assert sorted({r["image_id"] for r in records}) == [1, 2]
    assert sorted(p.name for p in out.glob("p*.png")) == ["p0.png", "p1.png"]


def test_ctrl_c_in_a_video_file_leaves_playable_outputs(
    detector_checkpoint, video, tmp_path, monkeypatch, caplog
):
    """The annotated video and its records are closed with the frames drawn so far (the mp4
    is finished: it plays), an INFO line says so, and the interrupt still ends the run."""
    frames_of = VideoSource.__iter__

    def two_frames_then_ctrl_c(source: VideoSource) -> Iterator[Frame]:
        for frame in frames_of(source):
            if frame.index == 2:
                raise KeyboardInterrupt
            yield frame

    monkeypatch.setattr(VideoSource, "__iter__", two_frames_then_ctrl_c)
    predictor = detseg.load(detector_checkpoint, "cpu")
    with caplog.at_level(logging.INFO), pytest.raises(KeyboardInterrupt):
        predict_video(predictor, video, tmp_path / "out")
    capture = cv2.VideoCapture(str(tmp_path / "out" / "clip.mp4"))
    assert capture.isOpened()
    assert [capture.read()[0] for _ in range(3)] == [True, True, False]
    lines = (tmp_path / "out" / "clip.jsonl").read_text().splitlines()
    assert [json.loads(line)["frame"] for line in lines] == [0, 1]
    out = tmp_path / "out"
    assert (
        f"{video}: stopped by Ctrl-C after 2 frames; {out}/clip.mp4 and {out}/clip.jsonl hold them"
        in caplog.messages
    )
