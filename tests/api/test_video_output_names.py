"""The annotated video of ``predict_checkpoint`` (``tools/infer.py``) never takes the input
video's own file, also where ``OUT`` reaches it by another name: a hard link here, as a name
differing in case only does on Windows and macOS (``CLIP.mp4`` for ``CLIP.MP4``)."""

from __future__ import annotations

import os
import shutil

from detseg.api.video_outputs import video_output_stem
from detseg.predict_images import predict_checkpoint


def test_the_output_stem_avoids_the_input_video_under_another_name(video, tmp_path):
    source, out = tmp_path / "cards" / "clip.mp4", tmp_path / "out"
    source.parent.mkdir()
    out.mkdir()
    shutil.copyfile(video, source)
    os.link(source, out / "clip.mp4")
    assert video_output_stem(source, out, set()) == "clip_1"


def test_a_video_linked_into_the_output_folder_is_not_written_over(
    detector_checkpoint, video, tmp_path
):
    source, out = tmp_path / "cards" / "clip.mp4", tmp_path / "out"
    source.parent.mkdir()
    out.mkdir()
    shutil.copyfile(video, source)
    os.link(source, out / "clip.mp4")
    before = source.read_bytes()
    run = predict_checkpoint(detector_checkpoint, [str(source)], out, device="cpu", max_frames=2)
    assert not run.failed and run.videos[0].video == out / "clip_1.mp4"
    assert source.read_bytes() == before
