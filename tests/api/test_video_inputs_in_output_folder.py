"""``--out`` the folder of one of several input videos: the annotated video of another input
with the same stem never takes that input's file (it would be destroyed before it is read, and
then its drawn frames processed instead of its own); names differing in case only are one
file on Windows and macOS, so they are kept apart too."""

from __future__ import annotations

import shutil

from detseg.api.video_outputs import video_output_stem
from detseg.predict_images import predict_checkpoint


def test_the_output_stem_avoids_every_input_video_in_the_output_folder(video, tmp_path):
    first, second = tmp_path / "cards" / "clip.mp4", tmp_path / "out" / "clip.mp4"
    for path in (first, second):
        path.parent.mkdir()
        shutil.copyfile(video, path)
    inputs = [first, second]
    used: set[str] = set()
    stems = [video_output_stem(source, second.parent, used, inputs) for source in inputs]
    assert stems == ["clip_1", "clip_2"]


def test_stems_differing_in_case_only_are_kept_apart(tmp_path):
    used: set[str] = set()
    assert [video_output_stem(s, tmp_path, used) for s in ("x/CLIP.mp4", "y/clip.mp4")] == [
        "CLIP",
        "clip_1",
    ]


def test_an_input_video_in_the_output_folder_is_read_not_written_over(
    detector_checkpoint, video, tmp_path
):
    first, second = tmp_path / "cards" / "clip.mp4", tmp_path / "out" / "clip.mp4"
    for path in (first, second):
        path.parent.mkdir()
        shutil.copyfile(video, path)
    before = second.read_bytes()
    run = predict_checkpoint(
        detector_checkpoint, [str(first), str(second)], second.parent, device="cpu", max_frames=1
    )
    assert not run.failed and second.read_bytes() == before
    assert [v.video.name for v in run.videos] == ["clip_1.mp4", "clip_2.mp4"]
