"""A dataset path that does not exist is named with its config key (``data.train_images:
COCO images folder not found: ...``): the reader's message names the path, the key says which
line of the config to fix (defaults included: a key the config leaves out is still the one to
set)."""

from pathlib import Path

import pytest

from detseg.data.registry import build_dataset, build_segmentation_dataset

COCO_JSON = (
    '{"images": [{"id": 1, "file_name": "0.png", "width": 8, "height": 8}], '
    '"annotations": [], "categories": [{"id": 1, "name": "cat"}]}'
)


def _write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    ("split", "key", "value", "reader_words"),
    [
        ("train", "train_images", "nowhere", "COCO images folder not found"),
        ("val", "val_ann", "annotations/missing.json", "COCO annotation file not found"),
    ],
)
def test_coco_path_keys(tmp_path, split, key, value, reader_words) -> None:
    _write(tmp_path / "annotations" / f"instances_{split}.json", COCO_JSON)
    (tmp_path / split / "images").mkdir(parents=True)
    data = {"format": "coco", "root": str(tmp_path), key: value}
    with pytest.raises(FileNotFoundError) as caught:
        build_dataset(data, split)
    assert str(caught.value).startswith(f"data.{key}: {reader_words}: {tmp_path / value}")


def test_yolo_labels_folder(tmp_path) -> None:
    _write(tmp_path / "images" / "train" / "0.txt")
    _write(tmp_path / "classes.txt", "cat\n")
    data = {"format": "yolo", "root": str(tmp_path), "train_labels": "no_labels"}
    with pytest.raises(FileNotFoundError, match=r"^data\.train_labels: YOLO labels folder"):
        build_dataset(data, "train")


def test_folder_segmentation_masks(tmp_path) -> None:
    _write(tmp_path / "images" / "train" / "0.png")
    data = {
        "format": "folder_seg",
        "root": str(tmp_path),
        "classes": ["cat"],
        "train_masks": "no_masks",
    }
    with pytest.raises(FileNotFoundError, match=r"^data\.train_masks: "):
        build_segmentation_dataset(data, "train")


def test_two_missing_paths_keep_the_reader_message(tmp_path) -> None:
    """With two keys naming missing paths the reader's message, which names the path it
    tried, stays as it is rather than blame one key."""
    data = {"format": "coco", "root": str(tmp_path)}
    with pytest.raises(FileNotFoundError, match=r"^COCO annotation file not found"):
        build_dataset(data, "train")


def test_an_error_about_another_file_is_not_blamed_on_the_key(tmp_path) -> None:
    """A missing class file is its own error, even while a path key names a missing folder."""
    _write(tmp_path / "annotations" / "instances_train.json", COCO_JSON)
    data = {"format": "coco", "root": str(tmp_path), "classes": "names.txt"}
    with pytest.raises(FileNotFoundError) as caught:
        build_dataset(data, "train")
    assert str(caught.value).startswith("class names file 'names.txt' not found")
