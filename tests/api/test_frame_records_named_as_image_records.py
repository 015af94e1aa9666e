"""A video frame's JSON line names its detections as ``predictions.json`` names an image's
(COCO results: ``category_id``, ``bbox`` ``[x, y, w, h]``, ``score``, ``category_name``), the
frame index and time standing for the image's ``image_id`` and ``file_name``: one reader serves
the outputs of images and of videos, and the numbers of a frame are those of the same picture
given as an image."""

from __future__ import annotations

import json

import cv2
import pytest

import detseg
from detseg.api.video_outputs import frame_record
from detseg.predict_images import predict_checkpoint


def test_a_frame_and_an_image_of_the_same_pixels_give_the_same_records(
    detector_checkpoint, video, tmp_path
):
    capture = cv2.VideoCapture(str(video))
    ok, bgr = capture.read()
    capture.release()
    assert ok
    image = tmp_path / "first_frame.png"
    cv2.imwrite(str(image), bgr)
    out = tmp_path / "out"
    predict_checkpoint(
        detector_checkpoint, [str(image), str(video)], out, device="cpu", score_threshold=0.0
    )
    images = json.loads((out / "predictions.json").read_text())
    frames = [json.loads(line) for line in (out / "clip.jsonl").read_text().splitlines()]
    assert images and frames[0]["detections"]
    assert set(images[0]) - {"image_id", "file_name"} == set(frames[0]["detections"][0])
    expected = [{k: v for k, v in r.items() if k not in ("image_id", "file_name")} for r in images]
    found = frames[0]["detections"]
    assert [d["category_id"] for d in found] == [d["category_id"] for d in expected]
    assert [d["category_name"] for d in found] == [d["category_name"] for d in expected]
    for got, want in zip(found, expected, strict=True):
        assert got["bbox"] == pytest.approx(want["bbox"], abs=1e-3)
        assert got["score"] == pytest.approx(want["score"], abs=1e-5)


def test_the_records_use_the_checkpoints_category_ids(detector_checkpoint, video):
    frame = next(iter(detseg.load(detector_checkpoint, "cpu").stream(video, score_thr=0.0)))
    assert len(frame)
    frame.category_ids = [10 * k for k in range(1, len(frame.classes) + 1)]
    record = frame_record(frame)
    assert [d["category_id"] for d in record["detections"]] == [10 * int(k) for k in frame.labels]
    assert [d["category_name"] for d in record["detections"]] == frame.names
    x1, y1, x2, y2 = frame.boxes[0].tolist()
    assert record["detections"][0]["bbox"] == pytest.approx([x1, y1, x2 - x1, y2 - y1])
