"""``--data <copy>/data.yaml`` of a dataset folder copied after its data.yaml was written.

``tools/convert_dataset.py`` writes an absolute ``root``, so the copy's data.yaml still names
the original folder. Training and evaluation load ``--data`` through
:func:`detseg.config.config_from_dict`; they warn as ``tools/check_data.py`` does (one function,
:func:`detseg.config.data_root.warn_root_elsewhere`), naming both folders and the fix.
"""

from __future__ import annotations

import logging
from pathlib import Path

from detseg.config import config_from_dict, load_config
from detseg.config.data_root import layout_format, warn_root_elsewhere

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


def _yolo_folder(folder: Path, data_root: Path) -> Path:
    (folder / "images" / "train").mkdir(parents=True)
    (folder / "labels" / "train").mkdir(parents=True)
    data_file = folder / "data.yaml"
    data_file.write_text(f"data:\n  format: yolo\n  root: {data_root}\n  classes: [a]\n")
    return data_file


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_training_with_the_data_file_of_a_copied_folder_names_both_folders(tmp_path, caplog):
    data_file = _yolo_folder(tmp_path / "copy", tmp_path / "original")
    with caplog.at_level(logging.WARNING):
        cfg = load_config(DEMO, data_file=data_file)
    assert cfg.data.root == str(tmp_path / "original")  # still read from the original
    [message] = [m for m in _warnings(caplog) if "copied or moved" in m]
    assert message.startswith(f"{data_file} names root {tmp_path / 'original'}, while ")
    assert f"{tmp_path / 'copy'} holds a yolo dataset itself" in message
    assert f"set data.root={tmp_path / 'copy'}" in message


def test_evaluation_of_a_checkpoint_config_warns_the_same_way(tmp_path, caplog):
    data_file = _yolo_folder(tmp_path / "copy", tmp_path / "original")
    raw = {"model": {"name": "faster_rcnn"}, "data": {"format": "coco"}}
    with caplog.at_level(logging.WARNING):
        config_from_dict(raw, source="<checkpoint>", data_file=data_file)
    assert sum("copied or moved" in m for m in _warnings(caplog)) == 1


def test_no_warning_for_its_own_root_a_root_set_to_it_or_a_data_file_elsewhere(tmp_path, caplog):
    here = _yolo_folder(tmp_path / "here", tmp_path / "here")
    copy = _yolo_folder(tmp_path / "copy", tmp_path / "original")
    lone = tmp_path / "configs" / "data.yaml"  # beside no dataset: its root is the data
    lone.parent.mkdir()
    lone.write_text(f"data:\n  format: yolo\n  root: {tmp_path / 'here'}\n  classes: [a]\n")
    with caplog.at_level(logging.WARNING):
        load_config(DEMO, data_file=here)
        load_config(DEMO, [f"data.root={copy.parent}"], data_file=copy)
        load_config(DEMO, data_file=lone)
    assert not [m for m in _warnings(caplog) if "copied or moved" in m]


def test_layout_format_names_the_default_layouts(tmp_path):
    (tmp_path / "c" / "annotations").mkdir(parents=True)
    (tmp_path / "c" / "annotations" / "instances_train.json").write_text("{}")
    for sub in ("Annotations", "ImageSets/Main"):
        (tmp_path / "v" / sub).mkdir(parents=True)
    for sub in ("images", "labels"):
        (tmp_path / "y" / sub).mkdir(parents=True)
    (tmp_path / "none").mkdir()
    found = [layout_format(tmp_path / name) for name in ("c", "v", "y", "none")]
    assert found == ["coco", "voc", "yolo", None]


def test_a_data_file_is_tested_against_its_own_format_layout(tmp_path, caplog):
    """A VOC2012 folder holds the detection layout (tried first) and the segmentation one: its
    copied ``voc_seg`` data file is still warned about."""
    copy = tmp_path / "VOC2012"
    for sub in ("Annotations", "ImageSets/Main", "SegmentationClass", "ImageSets/Segmentation"):
        (copy / sub).mkdir(parents=True)
    assert layout_format(copy) == "voc"
    caplog.set_level(logging.WARNING)
    warned = warn_root_elsewhere(
        copy / "data.yaml", {"format": "voc_seg", "root": str(tmp_path / "original")}
    )
    assert warned
    assert any("copied or moved" in line for line in _warnings(caplog))
