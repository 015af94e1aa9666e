"""``--out annotated.mp4`` (an output *file* name given for the output folder) is refused before
the checkpoint is loaded, rather than becoming a folder ``annotated.mp4/`` holding
``clip.mp4``; an existing folder of any name is taken."""

from __future__ import annotations

import re

import pytest

from detseg.predict_images import check_not_a_file_name, predict_checkpoint


@pytest.mark.parametrize("name", ["annotated.mp4", "result.PNG", "predictions.json", "a.jsonl"])
@pytest.mark.parametrize(
    ("flags", "given", "folder"),
    [(None, "out", "out={!r}"), ({"out": "--out"}, "--out", "--out {}")],
)
def test_a_new_output_folder_named_like_a_file_is_refused(tmp_path, name, flags, given, folder):
    """Named ``out`` from Python, ``--out`` where a tool gives its flags (``tools/infer.py``)."""
    out = tmp_path / name
    expected = (
        f"{given} {out} is named like a {out.suffix.lower()} file, but {given} is the output "
        f"folder: each input's outputs"
    )
    # the checkpoint is never read: the refusal comes first
    with pytest.raises(ValueError, match="^" + re.escape(expected)) as caught:
        predict_checkpoint(tmp_path / "missing.pt", ["clip.mp4"], out, flags=flags)
    example = folder.format(str(out.with_suffix("")))
    assert str(caught.value).endswith(f"give a folder, e.g. {example}")
    assert not out.exists()


def test_an_output_folder_under_a_file_names_the_setting(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="^out "):
        predict_checkpoint(tmp_path / "missing.pt", ["clip.mp4"], tmp_path / "file" / "o")
    with pytest.raises(NotADirectoryError, match="^--out "):
        predict_checkpoint(
            tmp_path / "missing.pt", ["clip.mp4"], tmp_path / "file" / "o", flags={"out": "--out"}
        )


def test_an_existing_folder_or_a_plain_name_is_taken(tmp_path):
    """Nothing is refused, and the check only looks: no folder is made or removed."""
    (tmp_path / "shots.jpg").mkdir()
    assert check_not_a_file_name(tmp_path / "shots.jpg") is None
    assert check_not_a_file_name(tmp_path / "runs" / "infer") is None
    assert check_not_a_file_name(tmp_path / "v1.2") is None
    assert [p.name for p in tmp_path.iterdir()] == ["shots.jpg"]
    assert (tmp_path / "shots.jpg").is_dir()
    # the same name, not made yet, is refused: the existing folder is what lets it through
    with pytest.raises(ValueError, match=r"is named like a \.jpg file"):
        check_not_a_file_name(tmp_path / "other" / "shots.jpg")
