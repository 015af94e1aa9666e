"""tools/infer.py on inputs it cannot read: one ``infer: error: <message>`` line each, naming
the input and why (nothing of OpenCV's or FFmpeg's own, no traceback), every good input still
processed and written, exit code 2; a forgotten checkpoint is named as such. Under it,
``predict_checkpoint`` keeps one message per failed input and logs it (or gives it to
``on_error``).

The checkpoint is a small detector with random weights (no training step), written as training
writes checkpoints.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from random_checkpoints import DETECTOR, write_checkpoint

from detseg.predict_images import predict_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    overrides = [*DETECTOR, "model.roi_heads={detections_per_img: 5}"]
    return write_checkpoint(
        tmp_path_factory.mktemp("infer_errors") / "best.pt", "configs/demo.yaml", overrides
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Two good images, a good 4-frame video, and unreadable files of every kind."""
    folder = tmp_path_factory.mktemp("infer_inputs")
    found = {name: folder / name for name in ("a.png", "b.png", "clip.mp4")}
    for i, name in enumerate(("a.png", "b.png")):
        assert cv2.imwrite(str(found[name]), np.full((48, 64, 3), 60 + 80 * i, np.uint8))
    writer = cv2.VideoWriter(str(found["clip.mp4"]), cv2.VideoWriter.fourcc(*"mp4v"), 8, (64, 64))
    for i in range(4):
        writer.write(np.full((64, 64, 3), 40 * i, np.uint8))
    writer.release()
    data = found["clip.mp4"].read_bytes()
    found["corrupt.png"] = folder / "corrupt.png"
    found["corrupt.png"].write_bytes(b"\x89PNG not really an image")
    found["empty.jpg"] = folder / "empty.jpg"
    found["empty.jpg"].write_bytes(b"")
    found["broken.mp4"] = folder / "broken.mp4"  # a recording stopped before its index
    found["broken.mp4"].write_bytes(data[: data.index(b"moov") - 4])
    return found


def error_lines(stderr: str) -> list[str]:
    """Every line of ``stderr`` but the INFO log lines."""
    return [line for line in stderr.splitlines() if not line.startswith("INFO ")]


def test_every_unreadable_input_gets_one_line_and_the_others_are_written(
    checkpoint, inputs, tmp_path, run_tool
):
    out = tmp_path / "out"
    missing, no_match = tmp_path / "missing.png", str(tmp_path / "nothing" / "*.jpg")
    args = [inputs["a.png"], inputs["corrupt.png"], inputs["empty.jpg"], missing, no_match]
    args += [inputs["broken.mp4"], "97", inputs["b.png"], inputs["clip.mp4"]]
    result = run_tool("infer.py", checkpoint, *args, "--out", out, "--max-frames", 3)
    assert result.returncode == 2, result.stderr
    expected = [
        f"input not found: {missing} (no such file or folder",
        f"no file matches the pattern {no_match}; check",
        f"cannot read image {inputs['corrupt.png']}: not a valid or supported image",
        f"cannot read image {inputs['empty.jpg']}: the file is empty",
        "cannot open camera 97: check that it is connected",
        f"cannot open video {inputs['broken.mp4']}: its 'moov' atom (the index of an MP4/MOV",
    ]
    lines = error_lines(result.stderr)
    assert len(lines) == len(expected), result.stderr
    for start in expected:
        assert sum(line.startswith(f"infer: error: {start}") for line in lines) == 1, start
    for noise in ("Traceback", "moov atom not found", "[ WARN", "ERROR "):
        assert noise not in result.stderr + result.stdout, noise
    assert sorted(p.name for p in out.glob("*.png")) == ["a.png", "b.png"]
    records = json.loads((out / "predictions.json").read_text())
    assert {r["file_name"] for r in records} == {str(inputs["a.png"]), str(inputs["b.png"])}
    assert len((out / "clip.jsonl").read_text().splitlines()) == 3
    assert result.stdout.splitlines()[0].startswith(f"{inputs['clip.mp4']}: 3 frames")
    assert result.stdout.splitlines()[1].startswith("2 images, ")
    assert len(result.stdout.splitlines()) == 2  # each summary once


def test_a_broken_video_alone_prints_its_reason_and_no_empty_summary(
    checkpoint, inputs, tmp_path, run_tool
):
    result = run_tool("infer.py", checkpoint, inputs["broken.mp4"], "--out", tmp_path / "out")
    assert result.returncode == 2, result.stderr
    [line] = error_lines(result.stderr)
    assert line.startswith(f"infer: error: cannot open video {inputs['broken.mp4']}: its 'moov'")
    assert result.stdout == "" and "moov atom not found" not in result.stderr


@pytest.mark.parametrize("first", ["a.png", "clip.mp4"])
def test_a_forgotten_checkpoint_is_named(inputs, run_tool, first):
    result = run_tool("infer.py", inputs[first], inputs["b.png"])
    assert result.returncode == 2, result.stderr
    kind = "an image" if first.endswith(".png") else "a video"
    assert result.stderr == (
        f"infer: error: the first argument must be a checkpoint (.pt), but {inputs[first]} is "
        f"{kind}; give a best.pt / last.pt written by train.py first, then the inputs: "
        "python tools/infer.py runs/demo/best.pt IMAGE ...\n"
    )


@pytest.mark.parametrize("flag", ["--batch-size", "--max-frames"])
def test_a_count_below_one_names_its_flag(checkpoint, inputs, tmp_path, run_tool, flag):
    result = run_tool("infer.py", checkpoint, inputs["a.png"], "--out", tmp_path, flag, 0)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == f"infer: error: {flag} must be >= 1, got 0"
    assert not (tmp_path / "predictions.json").exists()


def test_exit_code_zero_when_every_input_is_read(checkpoint, inputs, tmp_path, run_tool):
    out = tmp_path / "out"
    result = run_tool("infer.py", checkpoint, inputs["a.png"], inputs["clip.mp4"], "--out", out)
    assert result.returncode == 0, result.stderr
    assert error_lines(result.stderr) == [] and (out / "a.png").is_file()


def test_predict_checkpoint_keeps_one_message_per_failed_input(
    checkpoint, inputs, tmp_path, caplog
):
    names = [str(inputs["a.png"]), str(inputs["corrupt.png"]), str(tmp_path / "gone.png")]
    heard: list[str] = []
    run = predict_checkpoint(checkpoint, names, tmp_path / "out", on_error=heard.append)
    assert (run.images, run.failed) == (1, [names[2], names[1]])  # named inputs first
    assert heard == run.errors and len(run.errors) == 2
    assert run.errors[0].startswith(f"input not found: {names[2]}")
    assert run.errors[1].startswith(f"cannot read image {names[1]}: ")
    with caplog.at_level(logging.ERROR, logger="detseg"):
        logged = predict_checkpoint(checkpoint, names[1:], tmp_path / "logged")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == logged.errors and len(errors) == 2  # without on_error: logged
