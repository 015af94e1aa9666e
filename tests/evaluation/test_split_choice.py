"""``split_section`` (``tools/eval.py --split NAME``): the data section of another split of a
checkpoint's dataset, by the convention of the section's own paths, for every dataset format;
a split that is not there is one line naming what is missing and listing the splits that are,
and naming the setting as ``evaluate_checkpoint``'s keyword (``split='tset'``; the tool's
``--split tset``: ``tests/tools/test_eval_split.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config.schema import DataConfig
from detseg.evaluation.evaluation_split import evaluated_split, split_name, split_section
from detseg.named_settings import SettingError


def _touch(root: Path, *paths: str) -> None:
    """Make each path under ``root``: a folder where it ends with ``/``, else a file."""
    for path in paths:
        target = root / path
        if path.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")


def _coco(root: Path) -> None:
    for split in ("train", "val", "test"):
        _touch(root, f"{split}/images/", f"annotations/instances_{split}.json")


def test_coco_takes_the_split_s_images_and_json(tmp_path):
    _coco(tmp_path)
    data = split_section(DataConfig(format="coco", root=str(tmp_path)), "test")
    assert data.options["val_images"] == "test/images"
    assert data.options["val_ann"] == "annotations/instances_test.json"
    assert evaluated_split(data, "test") == (
        f"coco at {tmp_path}, split test (val_images test/images, val_ann "
        "annotations/instances_test.json)"
    )
    assert split_name(data, "test") == "test"


def test_coco_whose_val_keys_name_no_split_follows_its_train_keys(tmp_path):
    _coco(tmp_path)
    options = {"val_images": "test/images", "val_ann": "annotations/instances_test.json"}
    data = split_section(DataConfig(format="coco", root=str(tmp_path), options=options), "val")
    assert (data.options["val_images"], data.options["val_ann"]) == (
        "val/images",
        "annotations/instances_val.json",
    )


def test_a_missing_split_is_one_line_listing_the_splits_there(tmp_path):
    _coco(tmp_path)
    _touch(tmp_path, "annotations/instances_extra.json")  # no extra/images: no split
    with pytest.raises(SettingError) as raised:
        split_section(DataConfig(format="coco", root=str(tmp_path)), "tset")
    missing = tmp_path / "tset" / "images"  # the machine's separator (\ on Windows)
    assert str(raised.value) == (
        f"split='tset': no such split of the checkpoint's dataset (no {missing}); its splits: "
        "test, train, val"
    )
    assert raised.value.naming({"split": "--split"}).startswith(
        "--split tset: no such split of the checkpoint's dataset ("
    )


def test_braces_in_a_split_name_are_text(tmp_path):
    """A ``{split}`` in the name (or the path built from it) is no field of the message."""
    _coco(tmp_path)
    with pytest.raises(SettingError) as raised:
        split_section(DataConfig(format="coco", root=str(tmp_path)), "bad{split}x")
    missing = tmp_path / "bad{split}x" / "images"
    assert str(raised.value).startswith(
        f"split='bad{{split}}x': no such split of the checkpoint's dataset (no {missing}); "
    )
    assert raised.value.naming({"split": "--split"}).startswith(
        f"--split 'bad{{split}}x': no such split of the checkpoint's dataset (no {missing}); "
    )


@pytest.mark.parametrize(
    ("fmt", "files", "key", "pattern"),
    [
        ("voc", "ImageSets/Main/{}.txt", "val_split", "{}"),
        ("voc_seg", "ImageSets/Segmentation/{}.txt", "val_split", "{}"),
        ("shapes_seg", "annotations/instances_{}.json", "val_split", "{}"),
        ("yolo", "images/{}/", "val_images", "images/{}"),
        ("folder_seg", "images/{}/", "val_images", "images/{}"),
    ],
)
def test_every_format_takes_its_split_and_lists_the_others(tmp_path, fmt, files, key, pattern):
    for split in ("train", "val", "test"):
        _touch(tmp_path, files.format(split))
        if fmt == "folder_seg":
            _touch(tmp_path, f"masks/{split}/")
    if fmt == "voc":
        _touch(tmp_path, "ImageSets/Main/cat_train.txt")  # a per-class file: no split
    data = split_section(DataConfig(format=fmt, root=str(tmp_path)), "train")
    assert data.options[key] == pattern.format("train")
    if fmt == "folder_seg":
        assert data.options["val_masks"] == "masks/train"
    with pytest.raises(ValueError, match=r"^split='nope': .*; its splits: test, train, val$"):
        split_section(DataConfig(format=fmt, root=str(tmp_path)), "nope")


def test_a_path_is_no_split_name(tmp_path):
    with pytest.raises(ValueError, match="give a split's name"):
        split_section(DataConfig(format="coco", root=str(tmp_path)), "../test")


def test_voc_names_its_default_split(tmp_path):
    assert split_name(DataConfig(format="voc", root=str(tmp_path)), None) == "test"
    assert split_name(DataConfig(format="coco", root=str(tmp_path)), None) == "val"


def test_only_the_last_split_word_of_a_path_changes(tmp_path):
    """Folders above the split keep their words (``val_data/val/images``)."""
    root = tmp_path / "val_data"
    _coco(root)
    options = {"val_images": f"{root}/val/images", "val_ann": "annotations/instances_val.json"}
    data = split_section(DataConfig(format="coco", root=str(root), options=options), "test")
    assert data.options["val_images"] == f"{root}/test/images"
    assert data.options["val_ann"] == "annotations/instances_test.json"


def test_a_folder_the_splits_share_is_kept(tmp_path):
    """COCO's common layout of one images folder and a json per split."""
    _touch(tmp_path, "images/", "annotations/instances_val.json", "annotations/instances_test.json")
    options = {"val_images": "images", "val_ann": "annotations/instances_val.json"}
    data = split_section(DataConfig(format="coco", root=str(tmp_path), options=options), "test")
    assert (data.options["val_images"], data.options["val_ann"]) == (
        "images",
        "annotations/instances_test.json",
    )


def test_coco_s_year_names_take_the_split(tmp_path):
    _touch(tmp_path, "test2017/", "annotations/instances_test2017.json")
    options = {"val_images": "val2017", "val_ann": "annotations/instances_val2017.json"}
    data = split_section(DataConfig(format="coco", root=str(tmp_path), options=options), "test")
    assert (data.options["val_images"], data.options["val_ann"]) == (
        "test2017",
        "annotations/instances_test2017.json",
    )


def test_a_name_with_a_backslash_is_written_as_it_is(tmp_path):
    """The name is no regular-expression template (``\\s`` was a ``re.error``)."""
    with pytest.raises(ValueError, match=r"no such split"):
        split_section(DataConfig(format="coco", root=str(tmp_path)), "te\\st")


def test_paths_without_a_split_word_name_the_keywords(tmp_path):
    """From Python the way out is ``overrides``, from the tool ``--set`` (no flag named from
    Python)."""
    options = {"val_images": "images", "val_ann": "annotations/all.json"}
    options |= {"train_images": "images", "train_ann": "annotations/all.json"}
    with pytest.raises(SettingError) as raised:
        split_section(DataConfig(format="coco", root=str(tmp_path), options=options), "test")
    message = str(raised.value)
    assert message.startswith("split='test': the data section's paths (")
    assert message.endswith("point the val keys at the split with overrides instead")
    assert "--" not in message
    flags = {"split": "--split", "overrides": "--set"}
    assert raised.value.naming(flags).endswith("point the val keys at the split with --set instead")
