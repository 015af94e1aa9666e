"""A FIFO, a link loop or a folder where a file the tools name goes (``OUT/predictions.json``,
a video's ``OUT/<stem>.mp4`` and ``OUT/<stem>.jsonl``) is refused in one line naming it before
any image or frame is predicted and before any file is written: a FIFO would hang the write (no
reader), a link loop would fail late with a bare ``OSError``, after an earlier ``.jsonl`` was
emptied. The file names are the tool's, so the message offers another output folder."""

from __future__ import annotations

import os
import shutil
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import detseg
from detseg.api.video_outputs import predict_video
from detseg.predict_images import predict_checkpoint

from .conftest import run_two_videos

#: Seconds a refusal may take before the call is taken to hang (on a FIFO with no reader).
HANG_SECONDS = 120


def _raised_without_hanging(call: Callable[[], object], fifo: Path) -> BaseException | None:
    """What ``call`` raised, run in a thread so that a write stuck on ``fifo`` fails the test
    instead of hanging it (the FIFO is then opened for reading, which frees the writer)."""
    caught: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            caught.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG_SECONDS)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        pytest.fail(f"the call hung on the FIFO {fifo}")
    return caught[0] if caught else None


def test_a_fifo_at_predictions_json_is_refused_in_one_line(
    detector_checkpoint, image_file, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    fifo = out / "predictions.json"
    os.mkfifo(fifo)
    shutil.copyfile(image_file, tmp_path / "a.png")
    error = _raised_without_hanging(
        lambda: predict_checkpoint(detector_checkpoint, [str(tmp_path / "a.png")], out, "cpu"),
        fifo,
    )
    assert isinstance(error, ValueError)
    assert str(error) == (
        f"cannot write {fifo}: it is a FIFO (named pipe), not a file; choose another output "
        "folder (--out / out=)"
    )
    assert [p.name for p in out.iterdir()] == ["predictions.json"]  # no drawing written
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_folder_at_predictions_json_is_refused_before_drawing(
    detector_checkpoint, image_file, tmp_path
):
    out = tmp_path / "out"
    (out / "predictions.json").mkdir(parents=True)
    shutil.copyfile(image_file, tmp_path / "a.png")
    with pytest.raises(ValueError) as caught:
        predict_checkpoint(detector_checkpoint, [str(tmp_path / "a.png")], out, device="cpu")
    assert str(caught.value) == (
        f"cannot write the predictions of the images: {out / 'predictions.json'} is a folder; "
        "move it away or choose another output folder"
    )
    assert [p.name for p in out.iterdir()] == ["predictions.json"]


def test_a_link_loop_at_predictions_json_is_refused_before_drawing(
    detector_checkpoint, image_file, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    (out / "predictions.json").symlink_to("predictions.json")
    shutil.copyfile(image_file, tmp_path / "a.png")
    with pytest.raises(ValueError) as caught:
        predict_checkpoint(detector_checkpoint, [str(tmp_path / "a.png")], out, device="cpu")
    assert str(caught.value) == (
        f"cannot write {out / 'predictions.json'}: it is a symbolic link that leads back to "
        "itself (a link loop); remove the link or choose another output folder (--out / out=)"
    )
    assert [p.name for p in out.iterdir()] == ["predictions.json"]


@pytest.mark.parametrize("blocked", ["clip.mp4", "clip.jsonl"])
def test_a_fifo_at_a_video_output_is_refused_in_one_line(
    detector_checkpoint, video, tmp_path, blocked
):
    fifo = tmp_path / blocked
    os.mkfifo(fifo)
    predictor = detseg.load(detector_checkpoint, "cpu")
    error = _raised_without_hanging(
        lambda: predict_video(predictor, video, tmp_path, max_frames=1), fifo
    )
    assert isinstance(error, ValueError)
    assert str(error) == (
        f"cannot write {fifo}: it is a FIFO (named pipe), not a file; choose another output "
        "folder (--out / out=)"
    )
    assert [p.name for p in tmp_path.iterdir()] == [blocked]


def test_a_link_loop_at_the_video_keeps_the_earlier_records(detector_checkpoint, video, tmp_path):
    (tmp_path / "clip.jsonl").write_text("earlier run\n")
    (tmp_path / "clip.mp4").symlink_to("clip.mp4")
    predictor = detseg.load(detector_checkpoint, "cpu")
    with pytest.raises(ValueError, match="a link loop"):
        predict_video(predictor, video, tmp_path, max_frames=1)
    assert (tmp_path / "clip.jsonl").read_text() == "earlier run\n"


def test_a_fifo_at_one_video_output_is_that_videos_failure_in_a_run(
    detector_checkpoint, video, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    fifo = out / "clip.jsonl"
    os.mkfifo(fifo)
    runs = []

    def run() -> None:
        runs.append(run_two_videos(detector_checkpoint, video, out, tmp_path))

    assert _raised_without_hanging(run, fifo) is None
    [(result, errors)] = runs
    assert result.failed == [str(video)] and len(errors) == 1
    assert errors[0].startswith(f"cannot write {fifo}: it is a FIFO (named pipe), not a file")
    assert [v.video.name for v in result.videos] == ["take2.mp4"]
