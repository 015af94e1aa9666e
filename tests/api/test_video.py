"""Predictor.stream over video files (cameras and URLs by their errors), predict_video's files,
and how command-line inputs are told apart."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import detseg
from detseg.api import DetectionResult, SegmentationResult, VideoSource, predict_video
from detseg.api.video_names import is_video_source, source_stem
from detseg.api.video_outputs import video_output_stem
from detseg.prediction_inputs import split_inputs


@pytest.fixture(scope="module")
def detector(detector_checkpoint):
    return detseg.load(detector_checkpoint, device="cpu")


def test_stream_yields_one_result_per_frame(detector, video):
    results = list(detector.stream(video))
    assert len(results) == 5 and all(isinstance(r, DetectionResult) for r in results)
    assert [r.frame for r in results] == [0, 1, 2, 3, 4]
    assert [r.time for r in results] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])  # 10 fps
    assert all(r.image.shape == (64, 64, 3) and r.path == video for r in results)
    with VideoSource(video) as source:
        first = next(iter(source)).image
    assert np.array_equal(results[0].image, first)
    same = detector.predict(first)
    assert results[0].scores.tolist() == pytest.approx(same.scores.tolist(), abs=1e-5)
    assert "frame 0" in repr(results[0])
    assert len(list(detector.stream(str(video), max_frames=2))) == 2


def test_video_source_reads_size_fps_and_frame_count(video):
    with VideoSource(video) as source:
        assert (source.width, source.height, source.fps) == (64, 64, 10.0)
        assert source.frame_count == 5 and not source.live
        frames = list(source)
    assert [f.index for f in frames] == list(range(5))
    assert all(f.image.dtype == np.uint8 and f.image.shape == (64, 64, 3) for f in frames)
    square = frames[0].image[20, 12]  # written as BGR (40, 200, 240): read back as RGB
    assert abs(int(square[0]) - 240) < 30 and abs(int(square[2]) - 40) < 30


def test_unreadable_sources_are_named_before_the_first_frame(detector, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.mp4"):
        detector.stream(tmp_path / "missing.mp4")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video" * 4)
    with pytest.raises(ValueError, match="corrupt.mp4"):
        detector.stream(corrupt)
    with pytest.raises(ValueError, match="camera 97"):
        detector.stream(97)
    with pytest.raises(ValueError, match="camera 98"):
        detector.stream("98")


def test_predict_video_of_a_segmenter_writes_the_video_and_records(
    segmenter_checkpoint, video, tmp_path
):
    segmenter = detseg.load(segmenter_checkpoint, "cpu", overrides=["eval.tta=none"])
    assert isinstance(segmenter.predict(np.zeros((64, 64, 3), np.uint8)), SegmentationResult)
    run = predict_video(segmenter, video, tmp_path, max_frames=3)
    assert (run.frames, run.video, run.records) == (
        3,
        tmp_path / "clip.mp4",
        tmp_path / "clip.jsonl",
    )
    records = [json.loads(line) for line in run.records.read_text().splitlines()]
    assert [r["frame"] for r in records] == [0, 1, 2]
    for record in records:
        assert sum(record["classes"].values()) == pytest.approx(1.0, abs=1e-4)
        assert set(record["classes"]) <= {"background", *segmenter.classes}
    written = cv2.VideoCapture(str(run.video))
    assert written.get(cv2.CAP_PROP_FRAME_COUNT) == 3 and written.get(cv2.CAP_PROP_FPS) == 10
    ok, frame = written.read()
    written.release()
    # the overlay with a legend of every class on its right: the same size for every frame
    legend = segmenter.predict(np.zeros((64, 64, 3), np.uint8)).plot(legend="all")
    assert ok and frame.shape[1] > 64  # (the mp4 file's sides are rounded up to even ones)
    assert frame.shape[:2] == tuple(side + side % 2 for side in legend.shape[:2])


def test_split_inputs_tells_images_videos_cameras_and_urls_apart(tmp_path, video):
    image = tmp_path / "a.png"
    assert cv2.imwrite(str(image), np.zeros((4, 4, 3), np.uint8))
    clips = tmp_path / "clips"
    clips.mkdir()
    other = clips / "b.MOV"
    other.write_bytes(b"")
    inputs = [str(image), str(video), "0", "rtsp://host/live/cam1", f"{clips}/*", "nothing/*.png"]
    images, videos, missing = split_inputs(inputs)
    assert images == [image]
    assert videos == ["0", "rtsp://host/live/cam1", str(video), str(other)]
    assert missing == ["nothing/*.png"]


def test_video_names_and_output_stems(tmp_path):
    assert all(is_video_source(s) for s in ("a.mp4", "b.MKV", "c.webm", 0, "1", "http://x/y"))
    assert not any(is_video_source(s) for s in ("a.png", "folder", "x.jpg"))
    assert source_stem(0) == "camera0" and source_stem("2") == "camera2"
    assert source_stem("rtsp://10.0.0.1:554/live/cam 1.sdp?x=1") == "cam_1"
    assert source_stem("http://host:8080/") == "host_8080"
    assert source_stem(Path("a/b/clip.final.mp4")) == "clip.final"
    used: set[str] = set()
    assert [video_output_stem(s, tmp_path, used) for s in ("x/a.mp4", "y/a.avi")] == ["a", "a_1"]
    source = tmp_path / "c.mp4"
    source.write_bytes(b"")
    assert video_output_stem(source, tmp_path, set()) == "c_1"  # never the input itself
