"""A read-only file where one video's output goes (``OUT/<stem>.jsonl``) is reported by
``predict_checkpoint`` (``tools/infer.py``) as that video's failure, as a folder there is: the
other inputs are still processed, and the protected file is kept.

The tests run as root: a file counts as read-only by its mode (``chmod 0o444``).
"""

from __future__ import annotations

from .conftest import run_two_videos


def test_the_other_inputs_are_processed_and_the_read_only_video_reported(
    detector_checkpoint, video, tmp_path
):
    out = tmp_path / "out"
    out.mkdir()
    protected = out / "clip.jsonl"
    protected.write_text("earlier run\n")
    protected.chmod(0o444)
    run, errors = run_two_videos(detector_checkpoint, video, out, tmp_path)
    assert run.failed == [str(video)] and run.errors == errors
    assert len(errors) == 1
    assert errors[0].startswith(f"cannot write {protected}: the file is read-only; make it")
    assert [v.video.name for v in run.videos] == ["take2.mp4"]
    assert protected.read_text() == "earlier run\n"
    assert sorted(p.name for p in out.iterdir()) == ["clip.jsonl", "take2.jsonl", "take2.mp4"]
