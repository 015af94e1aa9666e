"""``--out`` the folder a pattern reads videos from: the drawn videos of an earlier run there
(each with its ``<stem>.jsonl`` beside it) are no inputs of the next run, which would
otherwise draw them again under new names (``clip_1_1.mp4``, ...) and grow the folder each
time; a video named as a file, or one a run has nothing else to read, is still read."""

from __future__ import annotations

import logging
import shutil

from detseg.predict_images import predict_checkpoint
from detseg.prediction_inputs import split_inputs


def _run(checkpoint, inputs, out):
    return predict_checkpoint(checkpoint, inputs, out, device="cpu", max_frames=1)


def test_a_second_run_reads_the_inputs_only(detector_checkpoint, video, tmp_path, caplog):
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copyfile(video, folder / "clip.mp4")
    pattern = str(folder / "*.mp4")
    first = _run(detector_checkpoint, [pattern], folder)
    assert [v.video.name for v in first.videos] == ["clip_1.mp4"]
    with caplog.at_level(logging.INFO, logger="detseg.prediction_inputs"):
        second = _run(detector_checkpoint, [pattern], folder)
    assert [v.source for v in second.videos] == [str(folder / "clip.mp4")]
    assert [v.video.name for v in second.videos] == ["clip_1.mp4"]
    assert sorted(p.name for p in folder.iterdir()) == ["clip.mp4", "clip_1.jsonl", "clip_1.mp4"]
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1 and "clip_1.mp4" in skipped[0] and ".jsonl" in skipped[0]


def test_a_video_named_as_a_file_or_alone_is_read(tmp_path, video):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("clip.mp4", "clip_1.mp4"):
        shutil.copyfile(video, out / name)
    (out / "clip_1.jsonl").write_text("{}\n")
    pattern = str(out / "*.mp4")
    assert split_inputs([pattern], out)[1] == [str(out / "clip.mp4")]
    named = split_inputs([pattern, str(out / "clip_1.mp4")], out)[1]
    assert named == [str(out / "clip.mp4"), str(out / "clip_1.mp4"), str(out / "clip_1.mp4")]
    assert split_inputs([str(out / "clip_1*")], out)[1] == [str(out / "clip_1.mp4")]
    other = tmp_path / "elsewhere"  # outputs of another folder are inputs like any video
    assert len(split_inputs([pattern], other)[1]) == 2


def test_a_user_video_of_another_suffix_is_read(tmp_path, video):
    """Only ``.mp4`` files are the drawn videos of a run: a user's ``clip.avi`` with a
    ``clip.jsonl`` of their own beside it, in the output folder, is an input."""
    out = tmp_path / "out"
    out.mkdir()
    shutil.copyfile(video, out / "clip.avi")
    (out / "clip.jsonl").write_text("{}\n")
    assert split_inputs([str(out / "*.avi")], out)[1] == [str(out / "clip.avi")]
    (out / "other.avi").write_bytes((out / "clip.avi").read_bytes())
    assert split_inputs([str(out / "*.avi")], out)[1] == [
        str(out / "clip.avi"),
        str(out / "other.avi"),
    ]
