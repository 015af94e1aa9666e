"""A glob pattern inside a folder named with glob characters (``shots [1]/*``, where ``[1]`` read
as a pattern is a character class matching ``shots 1`` only) finds that folder's files, the
same ones in ``Predictor.predict`` (its images), ``Predictor.stream`` (its images and videos)
and ``tools/infer.py`` (its images and videos), all through
:func:`detseg.image_inputs.pattern_files`; a leading ``~`` and ``**`` mean the same in the three.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.api.image_stream import stream_inputs
from detseg.api.inputs import ImageFile, pending_images
from detseg.api.media_stream import VideoFile
from detseg.prediction_inputs import split_inputs


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """``shots [1]``: two 32 px images, a 2-frame 32 px video, a text file, and one image in the
    subfolder ``deep [2]``."""
    folder = tmp_path_factory.mktemp("bracket_patterns") / "shots [1]"
    (folder / "deep [2]").mkdir(parents=True)
    for name, value in [("b.png", 200), ("a.jpg", 60), ("deep [2]/c.png", 120)]:
        assert cv2.imwrite(str(folder / name), np.full((32, 32, 3), value, dtype=np.uint8))
    writer = cv2.VideoWriter(
        str(folder / "clip.mp4"), cv2.VideoWriter.fourcc(*"mp4v"), 10.0, (32, 32)
    )
    for value in (40, 160):
        writer.write(np.full((32, 32, 3), value, dtype=np.uint8))
    writer.release()
    (folder / "notes.txt").write_text("not an image")
    return folder


def _stream_paths(source: str) -> list[Path]:
    """The files ``stream`` takes from ``source``, in order, none read."""
    items = list(stream_inputs(source))
    assert all(isinstance(item, (ImageFile, VideoFile)) for item in items)
    return [item.path for item in items]  # type: ignore[union-attr]


def test_predict_finds_the_images_of_the_folder(predictor, shots):
    results = predictor.predict(str(shots / "*"))
    assert [result.path for result in results] == [shots / "a.jpg", shots / "b.png"]


def test_stream_finds_the_images_and_the_video_of_the_folder(predictor, shots):
    results = list(predictor.stream(str(shots / "*")))
    seen = [(result.path, result.frame) for result in results]
    video = shots / "clip.mp4"
    assert seen == [(shots / "a.jpg", None), (shots / "b.png", None), (video, 0), (video, 1)]


def test_infer_finds_the_images_and_the_video_of_the_folder(
    detector_checkpoint, shots, tmp_path, run_tool
):
    out = tmp_path / "out"
    result = run_tool("infer.py", detector_checkpoint, shots / "*", "--out", out)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in out.iterdir()) == [
        "a.jpg",
        "b.png",
        "clip.jsonl",
        "clip.mp4",
        "predictions.json",
    ]
    assert len((out / "clip.jsonl").read_text().splitlines()) == 2  # the video's 2 frames


@pytest.mark.parametrize("pattern", ["*", "**/*", "*.[jp][pn]g", "deep [2]/*"])
@pytest.mark.parametrize("home", [False, True], ids=["path", "home"])
def test_predict_stream_and_infer_expand_a_pattern_alike(shots, monkeypatch, pattern, home):
    if home:  # "~/shots [1]/...": the home folder holds the folder
        monkeypatch.setenv("HOME", str(shots.parent))
    source = f"~/{shots.name}/{pattern}" if home else str(shots / pattern)
    images, videos, missing = split_inputs([source])
    assert images and missing == []
    predicted, _ = pending_images(source)
    assert [item.path for item in predicted] == images  # type: ignore[union-attr]
    assert sorted(_stream_paths(source)) == sorted([*images, *map(Path, videos)])
    expected = {"*": ["a.jpg", "b.png"], "deep [2]/*": ["deep [2]/c.png"]}
    expected["*.[jp][pn]g"] = expected["*"]
    expected["**/*"] = ["a.jpg", "b.png", "deep [2]/c.png"]
    assert images == [shots / name for name in expected[pattern]]
