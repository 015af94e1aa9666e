"""tools/infer.py on videos: an annotated .mp4 and one JSON line per frame; a corrupt video is
reported by name (exit code 2) while the other inputs are still processed; a Mask R-CNN's masks
drawn, as RLE in predictions.json and as areas in the JSON lines; --help explains every flag.

The checkpoints are a small detector and a small Mask R-CNN with random weights (no training
step), written as training writes checkpoints; the video is 5 generated 64 x 64 frames.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from random_checkpoints import DETECTOR, write_checkpoint

import detseg
from detseg.data.shapes import SHAPE_CLASSES

#: five detections an image
SMALL_DETECTOR = [*DETECTOR, "model.roi_heads={detections_per_img: 5}"]


def _write_checkpoint(path: Path, overrides: list[str]) -> Path:
    return write_checkpoint(path, "configs/demo.yaml", overrides)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return _write_checkpoint(tmp_path_factory.mktemp("infer_video") / "best.pt", SMALL_DETECTOR)


@pytest.fixture(scope="module")
def mask_checkpoint(tmp_path_factory) -> Path:
    """A Mask R-CNN: demo.yaml's settings with a small mask head."""
    small_head = ["model.name=mask_rcnn", "model.mask_layers=[8]", "model.mask_dim_reduced=8"]
    return _write_checkpoint(
        tmp_path_factory.mktemp("infer_masks") / "best.pt", [*small_head, *SMALL_DETECTOR]
    )


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("infer_video_in") / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 12.0, (64, 64))
    for i in range(5):
        frame = np.full((64, 64, 3), 30, dtype=np.uint8)
        frame[16:40, 8 + 4 * i : 32 + 4 * i] = (40, 200, 240)
        writer.write(frame)
    writer.release()
    return path


def test_a_video_gives_an_annotated_video_and_a_json_line_per_frame(
    checkpoint, video, tmp_path, run_tool
):
    out = tmp_path / "out"
    result = run_tool("infer.py", checkpoint, video, "--out", out)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in (out / "clip.jsonl").read_text().splitlines()]
    assert [r["frame"] for r in records] == [0, 1, 2, 3, 4]
    assert [r["time"] for r in records] == pytest.approx([i / 12 for i in range(5)], abs=1e-3)
    for record in records:
        assert 0 < len(record["detections"]) <= 5
        for found in record["detections"]:
            assert set(found) == {"bbox", "score", "category_id", "category_name"}
            assert len(found["bbox"]) == 4
            assert found["category_name"] == SHAPE_CLASSES[found["category_id"] - 1]
    written = cv2.VideoCapture(str(out / "clip.mp4"))
    frames, fps = written.get(cv2.CAP_PROP_FRAME_COUNT), written.get(cv2.CAP_PROP_FPS)
    written.release()
    assert (frames, fps) == (5, 12)
    assert not (out / "predictions.json").exists()  # no image was given
    detections = sum(len(r["detections"]) for r in records)
    summary = f"clip.mp4: 5 frames, {detections} detections -> {out / 'clip.mp4'}"
    assert result.stdout.count(summary) == 1 and summary not in result.stderr  # said once


def test_a_corrupt_video_is_named_and_the_image_still_processed(
    checkpoint, video, tmp_path, run_tool
):
    corrupt = tmp_path / "broken.avi"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00AVI not really a video")
    image = tmp_path / "frame.png"
    assert cv2.imwrite(str(image), np.full((48, 64, 3), 90, np.uint8))
    out = tmp_path / "out"
    result = run_tool(
        "infer.py", checkpoint, corrupt, image, video, "--out", out, "--max-frames", 2
    )
    assert result.returncode == 2, result.stderr
    [error] = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert error.startswith(f"infer: error: cannot open video {corrupt}: FFmpeg cannot decode")
    assert "Traceback" not in result.stderr
    assert (out / "frame.png").is_file()
    predictions = json.loads((out / "predictions.json").read_text())
    assert predictions and {r["file_name"] for r in predictions} == {str(image)}
    assert len((out / "clip.jsonl").read_text().splitlines()) == 2  # --max-frames
    assert not list(out.glob("broken*"))
    assert result.stdout.splitlines()[-1].startswith("1 image, ")


def test_mask_rcnn_masks_are_drawn_and_written_as_rle_and_areas(
    mask_checkpoint, video, tmp_path, run_tool
):
    image = tmp_path / "shapes.png"
    rgb = np.full((48, 64, 3), 20, np.uint8)
    rgb[5:30, 4:28] = (230, 40, 40)
    assert cv2.imwrite(str(image), rgb[:, :, ::-1])
    out = tmp_path / "out"
    result = run_tool("infer.py", mask_checkpoint, image, video, "--out", out, "--max-frames", 2)
    assert result.returncode == 0, result.stderr
    expected = detseg.load(mask_checkpoint, device="cpu").predict(image)
    assert expected.masks is not None and len(expected) > 0
    records = json.loads((out / "predictions.json").read_text())
    assert len(records) == len(expected)
    for record, mask in zip(records, expected.masks, strict=True):
        assert record["segmentation"]["size"] == [48, 64]
        assert np.array_equal(mask_utils.decode(record["segmentation"]), mask.numpy())
    drawn = cv2.imread(str(out / "shapes.png"))[:, :, ::-1]
    assert np.array_equal(drawn, expected.plot())  # masks, outlines and boxes
    lines = [json.loads(line) for line in (out / "clip.jsonl").read_text().splitlines()]
    assert len(lines) == 2
    for line in lines:
        assert line["detections"] and all(d["area"] >= 0 for d in line["detections"])
        fields = {"bbox", "score", "category_id", "category_name", "area"}
        assert all(set(d) == fields for d in line["detections"])


def test_help_explains_every_flag(run_tool):
    result = run_tool("infer.py", "--help")
    assert result.returncode == 0
    flags = set(re.findall(r"(--[a-z][a-z-]+)", result.stdout))
    expected = {"--out", "--score-thr", "--set", "--tta", "--plain", "--device", "--batch-size"}
    assert expected | {"--max-frames", "--help"} <= flags
    text = " ".join(result.stdout.split())
    for words in ("video files", "camera indices", "stream URLs", "after N frames"):
        assert words in text


def test_plain_and_tta_together_are_an_argument_error(run_tool, checkpoint, tmp_path):
    result = run_tool("infer.py", checkpoint, tmp_path / "a.png", "--plain", "--tta", "hflip")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1].endswith(
        "error: --plain runs one pass without TTA; drop --plain or --tta hflip"
    )


def test_plain_and_a_chain_override_together_are_an_argument_error(run_tool, checkpoint, tmp_path):
    chain = ["eval.tta=dihedral", "eval.crf.iterations=3"]
    result = run_tool("infer.py", checkpoint, tmp_path / "a.png", "--plain", "--set", *chain)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1].endswith(
        "error: --plain runs one pass without TTA, extra scales or CRF; drop --plain or --set "
        "eval.tta=dihedral eval.crf.iterations=3"
    )
