"""``data.classes`` for every detection format, the unknown-class guard, val keeps difficult."""

import json
import logging

import cv2
import numpy as np
import pytest
import torch

from detseg.data import UNKNOWN_CLASS_LIMIT, VOC_CLASSES, build_dataset, read_class_names
from detseg.data.coco_json import load_coco_json
from detseg.data.yolo import read_class_names as read_class_names_from_yolo

SIZE = 32
BOX = [4.0, 4.0, 20.0, 28.0]  # xyxy px, exact after normalizing by 32


def _image(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((SIZE, SIZE, 3), 127, dtype=np.uint8))


def write_coco(root, names_per_image, categories=((7, "dog"), (3, "cat"), (5, "emu"))):
    """One image per entry of ``names_per_image``; objects named by category (or an int id)."""
    ids = {name: cat_id for cat_id, name in categories}
    images, anns = [], []
    for i, names in enumerate(names_per_image):
        _image(root / "images" / f"{i}.png")
        images.append({"id": i + 1, "file_name": f"{i}.png", "width": SIZE, "height": SIZE})
        for name in names:
            cat_id = name if isinstance(name, int) else ids[name]
            x1, y1, x2, y2 = BOX
            bbox = [x1, y1, x2 - x1, y2 - y1]
            anns.append(
                {"id": len(anns) + 1, "image_id": i + 1, "category_id": cat_id, "bbox": bbox}
            )
    cats = [{"id": cat_id, "name": name} for cat_id, name in categories]
    (root / "ann.json").write_text(
        json.dumps({"images": images, "annotations": anns, "categories": cats})
    )
    return {"format": "coco", "root": str(root), "val_images": "images", "val_ann": "ann.json"}


def write_voc(root, names_per_image, difficult=()):
    """A VOC folder with split ``val``; ``difficult`` names objects flagged difficult."""
    ids = []
    for i, names in enumerate(names_per_image):
        _image(root / "JPEGImages" / f"{i}.png")
        objects = "".join(
            f"<object><name>{name}</name><difficult>{int(name in difficult)}</difficult>"
            f"<bndbox><xmin>5</xmin><ymin>5</ymin><xmax>20</xmax><ymax>28</ymax></bndbox></object>"
            for name in names
        )
        xml = f"<annotation><filename>{i}.png</filename>{objects}</annotation>"
        (root / "Annotations").mkdir(parents=True, exist_ok=True)
        (root / "Annotations" / f"{i}.xml").write_text(xml)
        ids.append(str(i))
    (root / "ImageSets" / "Main").mkdir(parents=True, exist_ok=True)
    (root / "ImageSets" / "Main" / "val.txt").write_text("\n".join(ids) + "\n")
    (root / "ImageSets" / "Main" / "train.txt").write_text("\n".join(ids) + "\n")
    return {"format": "voc", "root": str(root), "val_split": "val", "train_split": "train"}


def write_yolo(root, indices_per_image, names=("cat", "dog")):
    """A YOLO folder (split ``val``) with a classes.txt of ``names``."""
    for i, indices in enumerate(indices_per_image):
        _image(root / "images" / "val" / f"{i}.png")
        lines = [f"{k} 0.375 0.5 0.5 0.75" for k in indices]
        (root / "labels" / "val").mkdir(parents=True, exist_ok=True)
        (root / "labels" / "val" / f"{i}.txt").write_text("\n".join(lines) + "\n")
    (root / "classes.txt").write_text("\n".join(names) + "\n")
    return {"format": "yolo", "root": str(root)}


def _labels(dataset):
    return [dataset[i][1]["labels"].tolist() for i in range(len(dataset))]


# --------------------------------------------------------------------------- the reader


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        ("classes.txt", "dog\n cat \n\n"),
        ("data.yaml", "names: [dog, cat]\n"),
        ("data.yml", "path: x\nnames: {1: cat, 0: dog}\n"),
    ],
)
def test_names_from_a_file_under_root_then_the_cwd(tmp_path, monkeypatch, file_name, content):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / file_name).write_text(content)
    assert read_class_names(file_name, tmp_path / "root") == ["dog", "cat"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.txt").write_text("emu\n")
    assert read_class_names("here.txt", tmp_path / "root") == ["emu"]  # not under root: the cwd
    assert read_class_names(["dog", "cat"]) == ["dog", "cat"]
    assert read_class_names_from_yolo is read_class_names  # still importable from yolo


def test_reader_errors_name_the_file_and_the_places_looked_in(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as missing:
        read_class_names("names.txt", tmp_path / "root")
    message = str(missing.value)
    assert f"under data.root ({tmp_path / 'root' / 'names.txt'})" in message
    assert f"or in the current directory ({tmp_path / 'names.txt'})" in message
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(ValueError, match="empty.txt lists no class names"):
        read_class_names("empty.txt")
    (tmp_path / "twice.txt").write_text("a\nb\na\n")
    with pytest.raises(ValueError, match=r"twice.txt: class names must be unique, \['a'\]"):
        read_class_names("twice.txt")
    (tmp_path / "bad.yaml").write_text("names: [a, b\n")
    with pytest.raises(ValueError, match="bad.yaml is not valid YAML"):
        read_class_names("bad.yaml")
    (tmp_path / "gap.yaml").write_text("names: {0: a, 2: b}\n")
    with pytest.raises(ValueError, match=r"gap.yaml: the keys of 'names' must be the indices 0..1"):
        read_class_names("gap.yaml")
    with pytest.raises(ValueError, match="data.classes must be a list of names"):
        read_class_names(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- every format


@pytest.mark.parametrize("form", ["list", "txt", "yaml"])
@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo"])
def test_classes_as_list_txt_or_yaml_for_every_format(tmp_path, fmt, form):
    root = tmp_path / fmt
    if fmt == "coco":
        cfg = write_coco(root, [["cat", "dog"], ["dog"]])
    elif fmt == "voc":
        cfg = write_voc(root, [["cat", "dog"], ["dog"]])
    else:
        cfg = write_yolo(root, [[1, 0], [0]], names=("cat", "dog"))  # 0 is dog in ["dog", "cat"]
    names = ["dog", "cat"]
    (root / "names.txt").write_text("dog\ncat\n")
    (root / "names.yaml").write_text("names: {0: dog, 1: cat}\n")
    cfg["classes"] = {"list": names, "txt": "names.txt", "yaml": "names.yaml"}[form]
    dataset = build_dataset(cfg, "val")
    assert dataset.classes == names
    assert _labels(dataset) == [[2, 1], [1]]


def test_voc_classes_from_the_xml_files_sorted_and_logged_once(tmp_path, caplog):
    cfg = write_voc(tmp_path, [["zebra", "ant"], ["moth", "zebra"], []])
    with caplog.at_level(logging.INFO, logger="detseg.data.voc"):
        dataset = build_dataset(cfg, "val")
    assert dataset.classes == ["ant", "moth", "zebra"]
    [message] = [r.getMessage() for r in caplog.records]
    assert message == "VOC classes from 3 annotation files: ant (1), moth (1), zebra (2)"
    assert _labels(dataset) == [[3, 1], [2, 3], []]


def test_voc_classes_voc_and_a_split_without_objects(tmp_path):
    cfg = write_voc(tmp_path, [["person", "dog"]])
    dataset = build_dataset({**cfg, "classes": "voc"}, "val")
    assert dataset.classes == VOC_CLASSES and _labels(dataset) == [[15, 12]]
    empty = write_voc(tmp_path / "empty", [[], []])
    with pytest.raises(ValueError, match="name no objects.*set data.classes"):
        build_dataset(empty, "val")


def test_coco_classes_choose_a_subset_in_their_order(tmp_path, caplog):
    cfg = write_coco(tmp_path, [["cat", "dog", "emu"], ["emu", "emu"], ["dog"]])
    with caplog.at_level(logging.INFO, logger="detseg.data.coco"):
        dataset = build_dataset({**cfg, "classes": ["emu", "cat"]}, "val")
    assert dataset.classes == ["emu", "cat"] and dataset.cat_ids == [5, 3]
    assert _labels(dataset) == [[2, 1], [1, 1], []]  # cat, emu of image 0 in label order
    assert dataset.left_out_annotations == 2 and dataset[2][1]["dropped_boxes"] == 0
    [message] = [r.getMessage() for r in caplog.records]
    assert "skipping the 2 annotations of categories left out of data.classes: dog (2)" in message
    gt = dataset.coco_gt()  # what the evaluation scores: the chosen categories only
    assert sorted(c["id"] for c in gt["categories"]) == [3, 5]
    assert sorted(a["category_id"] for a in gt["annotations"]) == [3, 5, 5, 5]
    everything = build_dataset(cfg, "val")
    assert everything.classes == ["cat", "emu", "dog"] and everything.cat_ids == [3, 5, 7]
    assert len(everything.coco_gt()["annotations"]) == 6


def test_coco_classes_must_be_categories_of_the_json(tmp_path):
    cfg = write_coco(tmp_path, [["cat"]])
    with pytest.raises(ValueError) as error:
        build_dataset({**cfg, "classes": ["cat", "dgo"]}, "val")
    message = str(error.value)
    assert "'dgo', which is not a category of" in message and "did you mean 'dog'?" in message
    assert "its categories are: cat, emu, dog" in message


# --------------------------------------------------------------------------- unknown classes


def test_mostly_unknown_voc_names_fail_with_their_counts(tmp_path):
    cfg = write_voc(tmp_path, [["zebra", "zebra", "horse"], ["cat"]])
    with pytest.raises(ValueError) as error:
        build_dataset({**cfg, "classes": ["cat", "dog"]}, "val")
    message = str(error.value)
    assert "3 of 4 objects (75%)" in message and "zebra (2), horse (1)" in message
    assert "val.txt" in message and "set data.classes" in message


def test_mostly_unknown_yolo_indices_fail_with_their_counts(tmp_path):
    cfg = write_yolo(tmp_path, [[0, 4, 4], [7]], names=("cat", "dog"))
    with pytest.raises(ValueError) as error:
        build_dataset(cfg, "val")
    message = str(error.value)
    assert "3 of 4 objects (75%) have a class index outside 0..1" in message
    assert "class 4 (2), class 7 (1)" in message and "set data.classes" in message


def test_mostly_unknown_coco_category_ids_fail_with_their_counts(tmp_path):
    cfg = write_coco(tmp_path, [["cat", 42, 42]])
    with pytest.raises(ValueError, match=r"2 of 3 objects \(67%\).*category_id 42 \(2\)"):
        build_dataset(cfg, "val")


def test_a_few_unknown_objects_are_skipped_with_one_warning(tmp_path, caplog):
    assert UNKNOWN_CLASS_LIMIT == 0.5
    cases = [
        (write_voc(tmp_path / "voc", [["cat", "zebra"], ["cat", "dog"]]), "zebra (1)"),
        (write_yolo(tmp_path / "yolo", [[0, 9], [0, 1]]), "class 9 (1)"),
        (write_coco(tmp_path / "coco", [["cat", 42], ["cat", "dog"]]), "category_id 42 (1)"),
    ]
    for cfg, unknown in cases:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            dataset = build_dataset({**cfg, "classes": ["cat", "dog"]}, "val")
            targets = [dataset[i][1] for i in range(len(dataset))]
        [message] = [r.getMessage() for r in caplog.records]  # once, at load time
        assert "skipping 1 of 4 objects (25%)" in message and unknown in message, message
        assert [t["labels"].tolist() for t in targets] == [[1], [1, 2]]
        assert [t["dropped_boxes"] for t in targets] == [1, 0]


def test_the_warning_names_where_the_unknown_objects_are(tmp_path, caplog):
    """VOC names the xml file and object, COCO the annotation id, as YOLO names file:line."""
    cases = [
        (
            write_voc(tmp_path / "voc", [["cat"], ["cat", "zebra"], ["cat"]]),
            "zebra (1) (at Annotations/1.xml object 2)",
        ),
        (write_yolo(tmp_path / "yolo", [[0], [0, 9]]), "class 9 (1) (at 1.txt:2)"),
        (
            write_coco(tmp_path / "coco", [["cat", "cat"], ["cat", 42]]),
            "category_id 42 (1) (at annotation id 4)",
        ),
    ]
    for cfg, place in cases:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            build_dataset({**cfg, "classes": ["cat", "dog"]}, "val")
        [message] = [r.getMessage() for r in caplog.records]
        assert message.endswith(place), message


def test_exactly_half_unknown_is_still_a_warning(tmp_path, caplog):
    cfg = write_voc(tmp_path, [["cat", "zebra"]])
    with caplog.at_level(logging.WARNING):
        dataset = build_dataset({**cfg, "classes": ["cat"]}, "val")
    assert "zebra (1)" in caplog.text and _labels(dataset) == [[1]]


# --------------------------------------------------------------------------- difficult


def test_val_keeps_difficult_objects_when_keep_difficult_is_false(tmp_path):
    cfg = write_voc(tmp_path, [["cat", "dog"]], difficult=("dog",))
    cfg = {**cfg, "classes": ["cat", "dog"], "keep_difficult": False}
    train, val = build_dataset(cfg, "train"), build_dataset(cfg, "val")
    assert _labels(train) == [[1]]
    _, target = val[0]
    assert target["labels"].tolist() == [1, 2]
    assert torch.equal(target["difficult"], torch.tensor([0, 1]))


# --------------------------------------------------------------------------- coco json checks


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "holds a list, not an object"),
        ({"categories": []}, "has no 'images' list"),
        ({"images": {}, "categories": []}, "'images' must be a list, got dict"),
        ({"images": [{"id": 1}], "categories": []}, r"images\[0\] has no 'file_name'"),
        ({"images": [{"id": "a", "file_name": "a.png"}]}, r"images\[0\]\['id'\] must be an int"),
        (
            {"images": [{"id": 1, "file_name": "a"}], "categories": [{"id": 1}]},
            r"categories\[0\] has no 'name'",
        ),
        (
            {
                "images": [{"id": 1, "file_name": "a"}],
                "categories": [{"id": 1, "name": "a"}],
                "annotations": [{"id": 1, "bbox": [0, 0, 1, 1]}],
            },
            r"annotations\[0\] has no 'image_id'",
        ),
    ],
)
def test_coco_json_checks_name_the_file_and_the_entry(tmp_path, data, message):
    ann = tmp_path / "ann.json"
    ann.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=message) as error:
        load_coco_json(ann)
    assert str(ann) in str(error.value)
