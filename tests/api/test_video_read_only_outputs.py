"""A read-only file where a video's output goes (``OUT/<stem>.mp4`` or ``OUT/<stem>.jsonl``) is
refused before either file is written, as a read-only image is (``save_rgb``): FFmpeg and
``open("w")`` would truncate it where the user may write it anyway (root), and the other file
of an earlier run would be emptied.

The tests run as root: a file counts as read-only by its mode (``chmod 0o444``).
"""

from __future__ import annotations

import numpy as np
import pytest

import detseg
from detseg.api.video import VideoWriter
from detseg.api.video_outputs import predict_video


@pytest.mark.parametrize("protected", ["clip.mp4", "clip.jsonl"])
def test_a_read_only_output_is_named_and_nothing_is_written(
    detector_checkpoint, video, tmp_path, protected
):
    before = {name: f"earlier {name}".encode() for name in ("clip.mp4", "clip.jsonl")}
    for name, data in before.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / protected).chmod(0o444)
    predictor = detseg.load(detector_checkpoint, "cpu")
    with pytest.raises(PermissionError) as caught:
        predict_video(predictor, video, tmp_path, max_frames=1)
    assert str(caught.value).startswith(
        f"cannot write {tmp_path / protected}: the file is read-only; make it writable"
    )
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


def test_the_video_writer_refuses_a_read_only_file(tmp_path):
    path = tmp_path / "drawn.mp4"
    path.write_bytes(b"kept")
    path.chmod(0o444)
    with VideoWriter(path, 10.0) as writer, pytest.raises(PermissionError, match="read-only"):
        writer.write(np.zeros((8, 8, 3), np.uint8))
    assert path.read_bytes() == b"kept"
