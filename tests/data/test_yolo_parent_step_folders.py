"""A missing ``root/../split/images`` folder (a Roboflow ``val: ../valid/images`` whose split
was not exported) is named as both places looked for, not only as the unresolved path."""

from __future__ import annotations

import pytest

from detseg.data import YoloTxtDetection


def test_missing_parent_step_folder_names_both_places(tmp_path):
    root = tmp_path / "export"
    (root / "train" / "images").mkdir(parents=True)
    with pytest.raises(FileNotFoundError) as info:
        YoloTxtDetection(root / ".." / "valid" / "images", classes=["a"])
    message = str(info.value)
    assert f"neither {tmp_path / 'valid' / 'images'} nor {root / 'valid' / 'images'} exists" in (
        message
    )
    assert "create that split" in message


def test_missing_plain_folder_keeps_the_short_message(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        YoloTxtDetection(tmp_path / "images" / "val", classes=["a"])
    assert str(info.value).startswith(f"YOLO images folder not found: {tmp_path}/images/val; ")
    assert "neither" not in str(info.value)
