"""infer.py's inputs: a quoted ``**`` pattern reads the images of every subfolder depth, as the
message for a folder of subfolders promises (its image count is what the pattern gives)."""

from __future__ import annotations

import re
from pathlib import Path

from detseg.image_inputs import expand_inputs
from detseg.prediction_inputs import missing_input_message, split_inputs


def _nested(root: Path) -> list[Path]:
    """Images one and two subfolders deep in ``root`` (none in ``root`` itself)."""
    files = [root / "a" / "mid.png", root / "a" / "b" / "deep.png", root / "c" / "d" / "e.jpg"]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    return sorted(files)


def test_double_star_pattern_reaches_every_depth(tmp_path):
    files = _nested(tmp_path)
    paths, missing = expand_inputs([f"{tmp_path}/**/*"])
    assert sorted(paths) == files
    assert missing == []


def test_the_suggested_pattern_gives_every_image_the_message_counts(tmp_path):
    files = _nested(tmp_path)
    message = missing_input_message(str(tmp_path))
    count = int(re.search(r"hold (\d+) image file", message).group(1))
    pattern = re.search(r"give the pattern '([^']+)'", message).group(1)
    images, videos, missing = split_inputs([pattern])
    assert count == len(files) == len(images)
    assert (videos, missing) == ([], [])


def test_a_pattern_skips_the_files_beside_the_images_and_videos(tmp_path):
    files = _nested(tmp_path)
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "train.json").write_text("{}")
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    (tmp_path / "c" / "clip.MP4").write_bytes(b"")
    images, videos, missing = split_inputs([f"{tmp_path}/**/*"])
    assert sorted(images) == files
    assert videos == [str(tmp_path / "c" / "clip.MP4")]
    assert missing == []


def test_a_pattern_of_other_files_only_still_gives_them(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    images, _, missing = split_inputs([f"{tmp_path}/*.txt"])
    assert images == [tmp_path / "notes.txt"]  # read, then reported as not an image
    assert missing == []
