"""infer.py on a folder whose images sit in subfolders (COCO file_name values such as
``batch_a/0001.jpg``) names the pattern that reads them."""

from __future__ import annotations

import glob

from detseg.prediction_inputs import missing_input_message


def test_folder_of_subfolders_names_the_recursive_pattern(tmp_path):
    for sub in ("batch_a", "batch_b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "0001.PNG").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not an image")
    message = missing_input_message(str(tmp_path))
    pattern = f"{tmp_path}/**/*"
    assert "its subfolders hold 2 image file(s)" in message
    assert f"'{pattern}'" in message
    assert len([p for p in glob.glob(pattern, recursive=True) if p.endswith(".PNG")]) == 2


def test_folder_without_any_image_keeps_the_plain_message(tmp_path):
    (tmp_path / "empty_sub").mkdir()
    (tmp_path / "notes.txt").write_text("not an image")
    message = missing_input_message(str(tmp_path))
    assert message.startswith(f"no image in folder {tmp_path} (image files end in")
