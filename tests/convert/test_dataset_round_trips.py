"""Dataset conversion COCO <-> VOC <-> YOLO: round trips, loading with detseg's readers, flags."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from detseg.config import load_data_file
from detseg.convert.datasets import convert_dataset, read_dataset
from detseg.data.registry import build_dataset
from detseg.data.shapes import SHAPE_CLASSES

# ------------------------------------------------------------------------------ helpers


def coco_content(root: Path, split: str) -> tuple[list[str], list[tuple[str, list]]]:
    """Class names (id order) and ``[(file_name, [(class name, xyxy)])]`` in json image order,
    read from the raw json (independent of the converter's reader)."""
    coco = json.loads((root / "annotations" / f"instances_{split}.json").read_text())
    categories = sorted(coco["categories"], key=lambda c: c["id"])
    name_of = {c["id"]: c["name"] for c in categories}
    objects: dict[int, list] = {image["id"]: [] for image in coco["images"]}
    for ann in coco["annotations"]:
        x, y, w, h = ann["bbox"]
        objects[ann["image_id"]].append((name_of[ann["category_id"]], [x, y, x + w, y + h]))
    images = [(image["file_name"], objects[image["id"]]) for image in coco["images"]]
    return [c["name"] for c in categories], images


def assert_same_coco(original: Path, converted: Path, splits: tuple[str, ...]) -> None:
    """Same classes (names, order), images (names may gain a split prefix), objects (class,
    every box coordinate within 1 px), and images without objects."""
    for split in splits:
        classes_a, images_a = coco_content(original, split)
        classes_b, images_b = coco_content(converted, split)
        assert classes_b == classes_a
        assert len(images_b) == len(images_a)
        converted_objects = dict(images_b)
        for name_a, objects_a in images_a:
            name_b = name_a if name_a in converted_objects else f"{split}_{name_a}"
            objects_b = converted_objects[name_b]
            assert len(objects_b) == len(objects_a), name_a
            for (cls_a, box_a), (cls_b, box_b) in zip(objects_a, objects_b, strict=True):
                assert cls_b == cls_a, name_a
                error = np.abs(np.subtract(box_b, box_a)).max()
                assert error <= 1.0, f"{split}/{name_a}: {box_a} -> {box_b}"
        assert (converted / split / "images" / images_b[-1][0]).is_file()


def data_section(root: Path) -> dict:
    """The data section of ``<root>/data.yaml``, read as ``tools/train.py --data`` reads it."""
    section = load_data_file(root / "data.yaml")
    assert section == yaml.safe_load((root / "data.yaml").read_text())["data"]
    return section


def loaded_counts(data_cfg: dict, split: str) -> tuple[int, int]:
    """(images, objects) of a split as detseg's training reader yields them."""
    dataset = build_dataset(data_cfg, split)
    samples = [dataset[i] for i in range(len(dataset))]
    assert all(sample is not None for sample in samples)
    return len(samples), sum(len(s[1]["boxes"]) for s in samples if s is not None)


def source_counts(root: Path, split: str) -> tuple[int, int]:
    _, images = coco_content(root, split)
    return len(images), sum(len(objects) for _, objects in images)


# ------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("middle", ["yolo", "voc"])
def test_round_trip_keeps_boxes_classes_and_empty_images(shapes_coco, tmp_path, middle):
    there = convert_dataset(shapes_coco, tmp_path / middle, "coco", middle, progress=False)
    back = convert_dataset(tmp_path / middle, tmp_path / "back", middle, "coco", progress=False)
    assert [s.name for s in there.splits] == ["train", "val"]
    assert back.classes == there.classes == list(SHAPE_CLASSES)
    assert_same_coco(shapes_coco, tmp_path / "back", ("train", "val"))
    _, images = coco_content(tmp_path / "back", "train")
    assert [objects for name, objects in images if name.endswith("empty.png")] == [[]]
    expected = source_counts(shapes_coco, "train")
    assert (there.splits[0].images, there.splits[0].objects) == expected
    assert (back.splits[0].images, back.splits[0].objects) == expected
    assert there.splits[0].skipped_objects == back.splits[0].skipped_objects == 0


def test_yolo_output_loads_with_the_same_images_and_objects(shapes_coco, tmp_path):
    dst = tmp_path / "yolo"
    convert_dataset(shapes_coco, dst, "coco", "yolo", progress=False)
    assert (dst / "labels" / "train" / "empty.txt").read_text() == ""
    assert (dst / "classes.txt").read_text().split() == list(SHAPE_CLASSES)
    for split in ("train", "val"):
        assert loaded_counts({"format": "yolo", "root": str(dst)}, split) == source_counts(
            shapes_coco, split
        )
        assert loaded_counts(data_section(dst), split) == source_counts(shapes_coco, split)


def test_voc_output_loads_with_the_same_images_and_objects(shapes_coco, tmp_path):
    dst = tmp_path / "voc"
    convert_dataset(shapes_coco, dst, "coco", "voc", progress=False)
    main = dst / "ImageSets" / "Main"
    ids = {s: (main / f"{s}.txt").read_text().split() for s in ("train", "val", "trainval")}
    assert len(set(ids["train"]) | set(ids["val"])) == len(ids["train"]) + len(ids["val"])
    assert ids["trainval"] == ids["train"] + ids["val"]
    config = {"format": "voc", "root": str(dst), "classes": list(SHAPE_CLASSES)}
    for split in ("train", "val"):
        counts = loaded_counts({**config, f"{split}_split": split}, split)
        assert counts == source_counts(shapes_coco, split)
        assert loaded_counts(data_section(dst), split) == source_counts(shapes_coco, split)


def test_voc_round_trip_rounds_each_edge_to_the_nearest_pixel(shapes_coco, tmp_path):
    convert_dataset(shapes_coco, tmp_path / "voc", "coco", "voc", splits=["train"], progress=False)
    record = read_dataset(tmp_path / "voc", "voc")
    wide = next(image for image in record.splits[0].images if image.file_name.endswith("wide.png"))
    assert (wide.width, wide.height) == (96, 64)
    # [10.25, 5.5, 30.5, 24.6] xywh -> xyxy (10.25, 5.5, 40.75, 30.1) -> VOC 11 7 41 30
    assert [obj.box for obj in wide.objects] == [(10.0, 6.0, 41.0, 30.0), (61.0, 30.0, 96.0, 64.0)]


# ------------------------------------------------------------------------------ flags, classes


def write_tiny_coco(root: Path, annotations: list[dict], categories: list[dict]) -> None:
    """A one-split (train) COCO dataset of two 40x30 images (ids 1 and 2)."""
    (root / "train" / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    images = []
    for image_id in (1, 2):
        Image.new("RGB", (40, 30)).save(root / "train" / "images" / f"{image_id}.jpg")
        images.append({"id": image_id, "file_name": f"{image_id}.jpg", "width": 40, "height": 30})
    coco = {"images": images, "annotations": annotations, "categories": categories}
    (root / "annotations" / "instances_train.json").write_text(json.dumps(coco))


def ann(ann_id: int, category_id: int, bbox: list, **extra: int) -> dict:
    return {"id": ann_id, "image_id": 1, "category_id": category_id, "bbox": bbox, **extra}


def test_crowd_is_kept_in_coco_difficult_in_voc_and_dropped_in_yolo(tmp_path):
    categories = [{"id": 7, "name": "cat"}, {"id": 3, "name": "dog"}]  # gaps, unsorted
    annotations = [ann(1, 7, [1, 2, 10, 8], iscrowd=1), ann(2, 3, [5, 5, 20, 20], iscrowd=0)]
    write_tiny_coco(tmp_path / "coco", annotations, categories)
    yolo = convert_dataset(tmp_path / "coco", tmp_path / "yolo", "coco", "yolo", progress=False)
    assert yolo.classes == ["dog", "cat"]  # category id order
    assert (yolo.splits[0].objects, yolo.splits[0].skipped_objects) == (1, 1)
    assert (tmp_path / "yolo" / "labels" / "train" / "1.txt").read_text().split()[0] == "0"
    convert_dataset(tmp_path / "coco", tmp_path / "voc", "coco", "voc", progress=False)
    xml = (tmp_path / "voc" / "Annotations" / "1.xml").read_text()
    assert xml.count("<difficult>1</difficult>") == 1 and xml.count("<difficult>0</difficult>") == 1
    convert_dataset(tmp_path / "voc", tmp_path / "back", "voc", "coco", progress=False)
    coco = json.loads((tmp_path / "back" / "annotations" / "instances_train.json").read_text())
    assert [c["name"] for c in coco["categories"]] == ["dog", "cat"]
    assert [c["id"] for c in coco["categories"]] == [1, 2]
    by_class = {a["category_id"]: a for a in coco["annotations"]}
    assert by_class[2]["iscrowd"] == 0 and by_class[2]["difficult"] == 1  # the crowd "cat"
    assert by_class[1]["iscrowd"] == 0 and "difficult" not in by_class[1]


def test_classes_select_and_order_objects_by_name(tmp_path):
    categories = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "cow"}]
    annotations = [ann(1, 1, [1, 2, 10, 8]), ann(2, 2, [5, 5, 20, 20]), ann(3, 3, [0, 0, 4, 4])]
    write_tiny_coco(tmp_path / "coco", annotations, categories)
    summary = convert_dataset(
        tmp_path / "coco", tmp_path / "yolo", "coco", "yolo", classes=["dog", "cat"], progress=False
    )
    assert (summary.splits[0].objects, summary.splits[0].skipped_objects) == (2, 1)
    lines = (tmp_path / "yolo" / "labels" / "train" / "1.txt").read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["1", "0"]  # cat -> 1, dog -> 0, cow skipped


def test_bad_boxes_are_clipped_or_skipped_and_counted(tmp_path):
    annotations = [
        ann(1, 1, [-5, 2, 10, 8]),  # clipped to x1 = 0
        ann(2, 1, [50, 5, 10, 10]),  # outside the 40 px wide image: skipped
        ann(3, 1, [1, 1, 0, 5]),  # no width: skipped
        ann(4, 1, "bad"),  # not a box: skipped
    ]
    write_tiny_coco(tmp_path / "coco", annotations, [{"id": 1, "name": "cat"}])
    summary = convert_dataset(tmp_path / "coco", tmp_path / "voc", "coco", "voc", progress=False)
    assert (summary.splits[0].objects, summary.splits[0].skipped_objects) == (1, 3)
    assert "<xmin>1</xmin>" in (tmp_path / "voc" / "Annotations" / "1.xml").read_text()


def test_coco_2017_layout_is_found_without_split_images_folders(tmp_path):
    write_tiny_coco(tmp_path / "coco", [ann(1, 1, [1, 2, 10, 8])], [{"id": 1, "name": "cat"}])
    (tmp_path / "coco" / "train" / "images").rename(tmp_path / "train2017")
    (tmp_path / "coco" / "train").rmdir()
    (tmp_path / "train2017").rename(tmp_path / "coco" / "train2017")
    annotations = tmp_path / "coco" / "annotations"
    (annotations / "instances_train.json").rename(annotations / "instances_train2017.json")
    summary = convert_dataset(tmp_path / "coco", tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images, s.objects) for s in summary.splits] == [("train2017", 2, 1)]
    assert data_section(tmp_path / "yolo")["train_images"] == "images/train2017"
    assert loaded_counts(data_section(tmp_path / "yolo"), "train") == (2, 1)


# ------------------------------------------------------------------------------ errors


def test_same_format_unknown_format_and_used_output_are_errors(shapes_coco, tmp_path):
    with pytest.raises(ValueError, match="both 'coco'"):
        convert_dataset(shapes_coco, tmp_path / "a", "coco", "coco")
    with pytest.raises(ValueError, match="unknown target format 'kitti'"):
        convert_dataset(shapes_coco, tmp_path / "a", "coco", "kitti")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        convert_dataset(shapes_coco, tmp_path / "used", "coco", "yolo")


def test_missing_split_and_corrupt_json_name_the_file(shapes_coco, tmp_path):
    with pytest.raises(FileNotFoundError, match="instances_nope.json.*splits found.*train, val"):
        convert_dataset(shapes_coco, tmp_path / "a", "coco", "yolo", splits=["nope"])
    (tmp_path / "bad" / "train" / "images").mkdir(parents=True)
    (tmp_path / "bad" / "annotations").mkdir()
    (tmp_path / "bad" / "annotations" / "instances_train.json").write_text("{not json")
    with pytest.raises(ValueError, match="instances_train.json is not valid JSON"):
        convert_dataset(tmp_path / "bad", tmp_path / "b", "coco", "voc")
