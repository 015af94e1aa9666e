"""``detseg-check-data FOLDER --set data.format=voc_seg`` on a VOC2012 folder that holds the
detection and the segmentation layouts: the switch keeps the root the folder (or its
``data.yaml``) gives, so the segmentation data of that folder is checked; only an explicit
``data.root`` changes it. A config's ``--set data.format`` still starts afresh (its root was
the old format's)."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from detseg.dataset_check import check_dataset, load_data_section

SPLITS = {"train": ("a", "b"), "val": ("c",)}


def _voc2012(root: Path) -> Path:
    """A VOC2012 folder: ``JPEGImages/``, ``SegmentationClass/`` (24x32 label maps with a
    class 1 square), ``ImageSets/Segmentation/`` and the detection layout's ``Annotations/`` and
    ``ImageSets/Main/`` (empty), with a ``classes.txt``."""
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation", "Annotations"):
        (root / sub).mkdir(parents=True)
    (root / "ImageSets" / "Main").mkdir()
    (root / "classes.txt").write_text("cat\n")
    for split, stems in SPLITS.items():
        (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(stems) + "\n")
        for stem in stems:
            cv2.imwrite(
                str(root / "JPEGImages" / f"{stem}.jpg"), np.full((24, 32, 3), 90, np.uint8)
            )
            mask = np.zeros((24, 32), np.uint8)
            mask[4:12, 6:14] = 1
            cv2.imwrite(str(root / "SegmentationClass" / f"{stem}.png"), mask)
    return root


def _checked(section: dict) -> None:
    check = check_dataset(section, ("train", "val"), progress=False)
    assert check.exit_code == 0, [f.message for f in check.of_severity("error")]
    assert [check.splits[split]["images"] for split in SPLITS] == [2, 1]


def test_a_folder_switched_to_its_segmentation_format_keeps_the_folder_as_root(tmp_path):
    folder = _voc2012(tmp_path / "VOC2012")
    section, kind = load_data_section(folder, ["data.format=voc_seg"])
    assert (section, kind) == ({"format": "voc_seg", "root": str(folder)}, "voc_seg folder")
    _checked(section)


def test_a_data_yaml_switched_to_another_format_keeps_its_root_without_a_warning(tmp_path, caplog):
    folder = _voc2012(tmp_path / "VOC2012")
    (folder / "data.yaml").write_text(
        f"data:\n  format: voc\n  root: {folder}\n  classes: [cat]\n  val_split: val\n"
    )
    with caplog.at_level(logging.WARNING):
        section, _ = load_data_section(folder, ["data.format=voc_seg"])
        from_file, kind = load_data_section(folder / "data.yaml", ["data.format=voc_seg"])
    assert not caplog.records, [record.getMessage() for record in caplog.records]
    assert section == from_file == {"format": "voc_seg", "root": str(folder)}
    assert kind == "data file"
    _checked(section)


def test_an_explicit_root_wins_over_the_folder_whatever_the_order(tmp_path):
    folder = _voc2012(tmp_path / "VOC2012")
    other = _voc2012(tmp_path / "other")
    for overrides in (
        ["data.format=voc_seg", f"data.root={other}"],
        [f"data.root={other}", "data.format=voc_seg"],
    ):
        section, _ = load_data_section(folder, overrides)
        assert section == {"format": "voc_seg", "root": str(other)}


def test_a_config_switched_to_another_format_still_drops_its_root(tmp_path):
    config = tmp_path / "base_only.yaml"  # a config without a model: its data section as it is
    config.write_text(f"data:\n  format: voc\n  root: {tmp_path}\ntrain:\n  epochs: 1\n")
    section, kind = load_data_section(config, ["data.format=voc_seg"])
    assert kind == "config" and section == {"format": "voc_seg", "root": ""}
