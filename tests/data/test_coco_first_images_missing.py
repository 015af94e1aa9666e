"""A COCO split whose first image (by id) is missing among found ones builds, and its loader
skips that image and counts it; one whose first images are all missing (a wrong images_dir, an
absolute file_name that does not exist) fails when the dataset is built, with advice that fits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detseg.data import CocoDetection, CocoSegmentation
from detseg.data.coco import FIRST_IMAGES_LOOKED_FOR
from detseg.data.loader import build_loader
from detseg.data.shapes import generate_shapes


def _shapes(root: Path) -> tuple[Path, Path]:
    """A shapes dataset of 4 train images; ``(images_dir, ann_file)`` of its train split."""
    generate_shapes(root, num_train=4, num_val=1, size=64, seed=5, progress=False)
    return root / "train" / "images", root / "annotations" / "instances_train.json"


def _first_file(ann_file: Path) -> str:
    coco = json.loads(ann_file.read_text())
    return min(coco["images"], key=lambda image: image["id"])["file_name"]


def test_a_missing_first_image_is_skipped_and_counted(tmp_path: Path):
    images_dir, ann_file = _shapes(tmp_path)
    (images_dir / _first_file(ann_file)).unlink()
    dataset = CocoDetection(images_dir, ann_file)
    assert len(dataset) == 4 and not dataset.image_path(0).exists()
    batches = list(build_loader(dataset, batch_size=4, shuffle=False))
    assert [(len(b), b.skipped_images) for b in batches] == [(3, 1)]
    assert dataset.image_ids[0] not in batches[0].image_ids


def test_no_image_found_asks_whether_images_dir_is_their_folder(tmp_path: Path):
    _, ann_file = _shapes(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(FileNotFoundError) as info:
        CocoDetection(elsewhere, ann_file)
    assert str(info.value) == (
        f"first image of {ann_file} not found at {elsewhere / _first_file(ann_file)} (nor any "
        f"other of its first 4 images): is images_dir ({elsewhere}) the folder its file_name "
        "entries are relative to?"
    )


def test_an_absolute_file_name_that_does_not_exist_is_named(tmp_path: Path):
    images_dir, ann_file = _shapes(tmp_path)
    coco = json.loads(ann_file.read_text())
    for image in coco["images"]:
        image["file_name"] = str(tmp_path / "moved" / image["file_name"])
    ann_file.write_text(json.dumps(coco))
    with pytest.raises(FileNotFoundError) as info:
        CocoDetection(images_dir, ann_file)
    message = str(info.value)
    assert message.startswith(
        f"first image of {ann_file} not found: its file_name {tmp_path / 'moved'}"
    )
    assert " is an absolute path that does not exist (nor any other of its first 4 images): " in (
        message
    )
    assert message.endswith(
        f"correct the json's file_name entries, or write them relative to images_dir ({images_dir})"
    )
    assert "the folder its file_name entries are relative to" not in message


def test_one_found_image_among_the_first_is_enough(tmp_path: Path):
    """Only the first few images are looked for: one found among them says images_dir is
    right; each missing one is then the reader's to skip."""
    generate_shapes(tmp_path, num_train=FIRST_IMAGES_LOOKED_FOR + 1, num_val=1, size=32, seed=1)
    images_dir = tmp_path / "train" / "images"
    files = sorted(images_dir.iterdir())
    for path in files[:-2]:
        path.unlink()
    dataset = CocoDetection(images_dir, tmp_path / "annotations" / "instances_train.json")
    assert dataset[len(dataset) - 2] is not None and dataset[0] is None


def test_the_coco_seg_reader_follows_the_same_rule(tmp_path: Path):
    images_dir, ann_file = _shapes(tmp_path)
    (images_dir / _first_file(ann_file)).unlink()
    assert len(CocoSegmentation(images_dir, ann_file)) == 4  # one missing among found ones
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(FileNotFoundError, match=r"\(nor any other of its first 4 images\)"):
        CocoSegmentation(elsewhere, ann_file)
