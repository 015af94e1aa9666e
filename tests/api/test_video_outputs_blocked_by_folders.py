"""A folder standing where a video's output goes (``OUT/<stem>.mp4`` or ``OUT/<stem>.jsonl``)
is one ValueError naming it, raised before either file is written; ``predict_checkpoint``
(``tools/infer.py``) reports it as that video's failure and still processes the other inputs.
An annotated video that OpenCV cannot open for writing is an ``OSError`` naming the file."""

from __future__ import annotations

import errno
import re

import pytest

import detseg
from detseg.api.video import VideoWriter
from detseg.api.video_outputs import predict_video

from .conftest import run_two_videos


@pytest.mark.parametrize("blocked", ["clip.mp4", "clip.jsonl"])
def test_a_folder_in_place_of_an_output_is_named_and_nothing_is_written(
    detector_checkpoint, video, tmp_path, blocked
):
    (tmp_path / blocked).mkdir()
    predictor = detseg.load(detector_checkpoint, "cpu")
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / blocked} is a folder")):
        predict_video(predictor, video, tmp_path, max_frames=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == [blocked]


def test_the_other_inputs_are_processed_and_the_blocked_video_reported(
    detector_checkpoint, video, tmp_path
):
    out = tmp_path / "out"
    (out / "clip.mp4").mkdir(parents=True)
    run, errors = run_two_videos(detector_checkpoint, video, out, tmp_path)
    assert run.failed == [str(video)] and len(errors) == 1 and "clip.mp4 is a folder" in errors[0]
    assert [v.video.name for v in run.videos] == ["take2.mp4"]


def test_a_video_file_opencv_cannot_open_is_an_os_error_naming_it(tmp_path):
    target = tmp_path / "x.mp4"
    target.mkdir()
    writer = VideoWriter(target, 10.0)
    with pytest.raises(OSError, match=re.escape("OpenCV cannot open x.mp4 for writing")) as err:
        writer.write(__import__("numpy").zeros((8, 8, 3), "uint8"))
    assert err.value.filename == str(target) and err.value.errno == errno.EIO
