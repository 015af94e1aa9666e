"""A dataset folder whose ``data.yaml`` names another root while holding the layout itself.

``tools/convert_dataset.py`` writes an absolute ``root`` into the output's data.yaml, so a copy
or a move of that folder still points at the original. ``check_data.py <copy>`` then checks
the original, as training with that data file reads it; one warning names both folders and
the fix, so the user is not misled into believing the copy was checked.
"""

from __future__ import annotations

import logging
from pathlib import Path

from detseg.dataset_check import load_data_section


def _yolo_folder(root: Path, data_root: Path) -> Path:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "data.yaml").write_text(f"data:\n  format: yolo\n  root: {data_root}\n")
    return root


def test_a_copied_folder_that_points_at_its_original_is_named(tmp_path, caplog):
    copy = _yolo_folder(tmp_path / "copy", tmp_path / "original")
    with caplog.at_level(logging.WARNING):
        section, _ = load_data_section(copy)
    assert section["root"] == str(tmp_path / "original")
    [message] = [r.getMessage() for r in caplog.records]
    assert message == (
        f"{copy / 'data.yaml'} names root {tmp_path / 'original'}, while {copy} holds a yolo "
        f"dataset itself (copied or moved?): reading {tmp_path / 'original'}, as training, "
        "evaluation, the dataset check and the dataset conversion do with this data file; "
        f"for this folder, set data.root={copy} or rewrite root in its data.yaml"
    )


def test_no_warning_where_the_root_is_the_folder_or_is_set(tmp_path, caplog):
    here = _yolo_folder(tmp_path / "here", tmp_path / "here")
    copy = _yolo_folder(tmp_path / "copy", tmp_path / "original")
    elsewhere = tmp_path / "yaml_only"  # a data.yaml beside no dataset: its root is the data
    elsewhere.mkdir()
    (elsewhere / "data.yaml").write_text(f"data:\n  format: yolo\n  root: {here}\n")
    with caplog.at_level(logging.WARNING):
        load_data_section(here)
        section, _ = load_data_section(copy, [f"data.root={copy}"])
        load_data_section(elsewhere)
    assert section["root"] == str(copy)
    assert not caplog.records


def test_the_data_file_of_a_copied_folder_given_itself_is_named_too(tmp_path, caplog):
    copy = _yolo_folder(tmp_path / "copy", tmp_path / "original")
    with caplog.at_level(logging.WARNING):
        section, kind = load_data_section(copy / "data.yaml")
    assert kind == "data file" and section["root"] == str(tmp_path / "original")
    [message] = [r.getMessage() for r in caplog.records]
    assert message.startswith(f"{copy / 'data.yaml'} names root {tmp_path / 'original'}, ")
