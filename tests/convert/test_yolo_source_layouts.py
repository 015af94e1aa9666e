"""YOLO sources in the layouts training reads: images in subfolders, an Ultralytics data.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from PIL import Image

from detseg.config import load_data_file
from detseg.convert.datasets import convert_dataset, find_splits
from detseg.data.registry import build_dataset


def _image(path: Path, width: int = 40, height: int = 30) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (90, 120, 150)).save(path)


def _label(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _coco_objects(root: Path, split: str) -> dict[str, list[tuple[int, list[float]]]]:
    """``{file_name: [(category id, xywh)]}`` of a written COCO split."""
    coco = json.loads((root / "annotations" / f"instances_{split}.json").read_text())
    objects: dict[int, list] = {image["id"]: [] for image in coco["images"]}
    for ann in coco["annotations"]:
        objects[ann["image_id"]].append((ann["category_id"], ann["bbox"]))
    return {image["file_name"]: objects[image["id"]] for image in coco["images"]}


@pytest.fixture
def nested_yolo(tmp_path) -> Path:
    """``images/train/{a,b}/x.png`` (same name in two subfolders), ``images/train/a_x.png`` (the
    flat name of ``a/x.png``), each with its own label under ``labels/train``."""
    root = tmp_path / "nested"
    for name, cls in (("a/x", 0), ("b/x", 1), ("a_x", 1)):
        _image(root / "images" / "train" / f"{name}.png")
        _label(root / "labels" / "train" / f"{name}.txt", f"{cls} 0.5 0.5 0.25 0.5\n")
    (root / "classes.txt").write_text("cat\ndog\n")
    return root


def test_images_in_subfolders_are_read_with_their_labels(nested_yolo, tmp_path):
    summary = convert_dataset(nested_yolo, tmp_path / "coco", "yolo", "coco", progress=False)
    counts = [
        (s.images, s.objects, s.classes, s.skipped_objects, s.skipped_images)
        for s in summary.splits
    ]
    assert counts == [(3, 3, 2, 0, 0)]
    objects = _coco_objects(tmp_path / "coco", "train")
    assert sorted(objects) == ["a/x.png", "a_x.png", "b/x.png"]
    assert [cls for cls, _ in objects["a/x.png"]] == [1]
    assert [cls for cls, _ in objects["b/x.png"]] == [2]
    assert objects["a/x.png"][0][1] == pytest.approx([15.0, 7.5, 10.0, 15.0], rel=1e-6)
    assert (tmp_path / "coco" / "train" / "images" / "b" / "x.png").is_file()


@pytest.mark.parametrize("target", ["voc", "coco"])
def test_flattened_names_of_subfolder_images_stay_unique(nested_yolo, tmp_path, target):
    there = tmp_path / target
    convert_dataset(nested_yolo, there, "yolo", target, progress=False)
    back = convert_dataset(there, tmp_path / "back", target, "yolo", progress=False)
    assert back.splits[0].images == 3 and back.splits[0].objects == 3
    images = sorted(p.name for p in (tmp_path / "back" / "images" / "train").iterdir())
    labels = sorted(p.name for p in (tmp_path / "back" / "labels" / "train").iterdir())
    assert len(set(images)) == 3
    assert labels == sorted(f"{Path(name).stem}.txt" for name in images)


@pytest.fixture
def roboflow_export(tmp_path) -> Path:
    """A Roboflow / Ultralytics export: ``data.yaml`` beside ``train/``, ``valid/``, ``test/``
    (each with ``images/`` and ``labels/``), its entries written ``../<split>/images``."""
    root = tmp_path / "roboflow"
    for folder, count in (("train", 2), ("valid", 1), ("test", 1)):
        for k in range(count):
            _image(root / folder / "images" / f"{folder}_{k}.jpg", 50, 40)
            _label(root / folder / "labels" / f"{folder}_{k}.txt", "1 0.5 0.5 0.2 0.25\n")
    data = {
        "train": "../train/images",
        "val": "../valid/images",
        "test": "../test/images",
        "nc": 2,
        "names": ["ball", "car"],
    }
    (root / "data.yaml").write_text(yaml.safe_dump(data))
    return root


def test_an_ultralytics_export_converts_with_its_splits_and_names(roboflow_export, tmp_path):
    assert find_splits(roboflow_export, "yolo") == ["train", "val", "test"]
    summary = convert_dataset(roboflow_export, tmp_path / "coco", "yolo", "coco", progress=False)
    assert summary.classes == ["ball", "car"]
    assert [(s.name, s.images, s.objects) for s in summary.splits] == [
        ("train", 2, 2),
        ("val", 1, 1),
        ("test", 1, 1),
    ]
    objects = _coco_objects(tmp_path / "coco", "val")
    assert objects == {"valid_0.jpg": [(2, pytest.approx([20.0, 15.0, 10.0, 10.0], rel=1e-6))]}
    section = load_data_file(tmp_path / "coco" / "data.yaml")
    assert len(build_dataset(section, "val")) == 1


def test_an_ultralytics_export_reads_what_training_reads(roboflow_export, tmp_path):
    """Training and conversion see the same images and objects of the export's ``val``."""
    training = build_dataset(load_data_file(roboflow_export / "data.yaml"), "val")
    summary = convert_dataset(
        roboflow_export, tmp_path / "voc", "yolo", "voc", splits=["val"], progress=False
    )
    objects = sum(len(training[i][1]["boxes"]) for i in range(len(training)))
    assert (summary.splits[0].images, summary.splits[0].objects) == (len(training), objects)


def test_an_export_without_its_test_folder_converts_the_others(roboflow_export, tmp_path):
    for path in sorted((roboflow_export / "test").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (roboflow_export / "test").rmdir()
    assert find_splits(roboflow_export, "yolo") == ["train", "val"]
    with pytest.raises(FileNotFoundError, match="test"):
        convert_dataset(
            roboflow_export, tmp_path / "coco", "yolo", "coco", splits=["test"], progress=False
        )


def test_one_flat_images_folder_named_by_a_data_yaml_converts(tmp_path):
    root = tmp_path / "flat"
    _image(root / "images" / "p.png")
    _label(root / "labels" / "p.txt", "0 0.5 0.5 0.5 0.5\n")
    data = {"train": "images", "val": "images", "names": {0: "pin"}}
    (root / "data.yaml").write_text(yaml.safe_dump(data))
    summary = convert_dataset(root, tmp_path / "coco", "yolo", "coco", progress=False)
    assert [(s.name, s.images, s.objects) for s in summary.splits] == [
        ("train", 1, 1),
        ("val", 1, 1),
    ]


def test_a_hidden_folder_under_images_is_no_split(nested_yolo, tmp_path):
    (nested_yolo / "images" / ".ipynb_checkpoints").mkdir()
    assert find_splits(nested_yolo, "yolo") == ["train"]
    summary = convert_dataset(nested_yolo, tmp_path / "voc", "yolo", "voc", progress=False)
    assert [s.name for s in summary.splits] == ["train"]
