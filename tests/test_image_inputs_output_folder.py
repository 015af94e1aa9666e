"""``--out`` inside an input folder: a second run does not take the first run's drawings
(``photos/out/a.jpg`` ...) as inputs; the files under the output folder that a folder scan or
a pattern finds are skipped, and one info line counts them. ``--out`` that is the input folder
itself keeps its images (they are the inputs), and a file named as it is is always read."""

from __future__ import annotations

import logging

from detseg.image_inputs import expand_inputs


def _photos(tmp_path):
    photos, out = tmp_path / "photos", tmp_path / "photos" / "out"
    (out / "labels").mkdir(parents=True)
    for path in (photos / "a.png", out / "a.png", out / "labels" / "a.png"):
        path.write_bytes(b"")
    return photos, out


def test_a_pattern_skips_the_files_under_the_output_folder(tmp_path, caplog):
    photos, out = _photos(tmp_path)
    with caplog.at_level(logging.INFO, logger="detseg.image_inputs"):
        paths, missing = expand_inputs([f"{photos}/**/*.png"], out=out)
    assert paths == [photos / "a.png"] and missing == []
    assert [r.getMessage() for r in caplog.records] == [
        f"skipped 2 files under the output folder {out} (an earlier run's outputs)"
    ]


def test_the_output_folder_scanned_itself_or_named_files_are_kept(tmp_path):
    photos, out = _photos(tmp_path)
    assert expand_inputs([str(out)], out=out)[0] == [out / "a.png"]
    assert expand_inputs([str(out / "a.png")], out=out)[0] == [out / "a.png"]
    assert expand_inputs([str(photos)], out=tmp_path)[0] == [photos / "a.png"]
    assert expand_inputs([f"{photos}/**/*.png"])[0] == sorted(
        [photos / "a.png", out / "a.png", out / "labels" / "a.png"]
    )


def test_split_inputs_skips_the_output_folder_s_images_and_videos(tmp_path):
    from detseg.prediction_inputs import split_inputs

    photos, out = _photos(tmp_path)
    (out / "clip.mp4").write_bytes(b"")
    assert split_inputs([f"{photos}/**/*"], out) == ([photos / "a.png"], [], [])
