"""Dataset conversion pieces worked out by hand: box edges, label lines, names, splits, readers."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from detseg.convert.datasets import ObjectRecord, find_splits, read_dataset
from detseg.convert.datasets.data_file import data_section, split_roles
from detseg.convert.datasets.output_files import flat_name, unique_names
from detseg.convert.datasets.records import checked_box
from detseg.convert.datasets.voc_writer import voc_box
from detseg.convert.datasets.yolo_writer import yolo_line


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((0.0, 0.0, 10.0, 5.0), (1, 1, 10, 5)),  # whole pixels: the exact inverse of the reader
        ((10.25, 5.5, 30.75, 20.1), (11, 7, 31, 20)),  # each edge to the nearest pixel edge
        ((3.4, 3.4, 3.6, 3.6), (4, 4, 4, 4)),  # thinner than a pixel: one pixel
        ((39.7, 0.0, 40.0, 30.0), (40, 1, 40, 30)),  # at the right border: last column
    ],
)
def test_voc_box_rounds_edges_to_pixel_indices(box, expected):
    assert voc_box(box, 40, 30) == expected  # a 40 x 30 image


def test_yolo_line_is_normalised_centre_and_size():
    obj = ObjectRecord((10.0, 20.0, 30.0, 60.0), class_index=2)
    assert yolo_line(obj, 100, 80) == "2 0.20000000 0.50000000 0.20000000 0.50000000"


def test_checked_box_clips_and_rejects():
    assert checked_box((-2.0, 1.0, 50.0, 8.0), 40, 30, "x") == (0.0, 1.0, 40.0, 8.0)
    assert checked_box((5.0, 5.0, 5.0, 9.0), 40, 30, "x") is None  # no width
    assert checked_box((45.0, 5.0, 50.0, 9.0), 40, 30, "x") is None  # outside
    assert checked_box((float("nan"), 5.0, 9.0, 9.0), 40, 30, "x") is None


def test_names_are_flat_with_unique_stems():
    assert flat_name("a/b/c.jpg") == "a_b_c.jpg"
    assert unique_names(["a.jpg", "a.png", "a_1.jpg", "b.jpg", "a.gif"]) == [
        "a.jpg",
        "a_2.png",
        "a_1.jpg",
        "b.jpg",
        "a_3.gif",
    ]


def test_split_roles_and_data_section():
    assert split_roles(["train", "val", "test"]) == {"train": "train", "val": "val"}
    assert split_roles(["train2017", "val2017"]) == {"train": "train2017", "val": "val2017"}
    assert split_roles(["trainval", "test"]) == {"train": "trainval", "val": "test"}
    assert split_roles(["extra"]) == {"train": "extra"}
    section = data_section("coco", Path("/data/x"), ["train2017", "val2017"], ["a"])
    assert section == {
        "format": "coco",
        "root": "/data/x",
        "train_images": "train2017/images",
        "train_ann": "annotations/instances_train2017.json",
        "val_images": "val2017/images",
        "val_ann": "annotations/instances_val2017.json",
    }


def _image(path: Path, width: int, height: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height)).save(path)


def _voc_xml(name: str, objects: str, size: str = "") -> str:
    return f"<annotation><filename>{name}</filename>{size}{objects}</annotation>"


def test_voc_splits_leave_out_per_class_lists_and_trainval(tmp_path):
    main = tmp_path / "ImageSets" / "Main"
    main.mkdir(parents=True)
    for stem in ("train", "val", "trainval", "test", "dog_train", "dog_trainval"):
        (main / f"{stem}.txt").write_text("")
    assert find_splits(tmp_path, "voc") == ["train", "val", "test"]


def test_voc_reader_sizes_from_the_image_and_classes_sorted(tmp_path):
    _image(tmp_path / "JPEGImages" / "a.png", 50, 20)
    box = "<xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>8</ymax>"
    obj = "<object><name>{}</name><bndbox>" + box + "</bndbox></object>"
    (tmp_path / "Annotations").mkdir()
    xml = _voc_xml(
        "a.png", obj.format("zebra") + obj.format("ant"), "<size><width>0</width></size>"
    )
    (tmp_path / "Annotations" / "a.xml").write_text(xml)
    (tmp_path / "Annotations" / "b.xml").write_text(_voc_xml("missing.png", ""))
    (tmp_path / "ImageSets" / "Main").mkdir(parents=True)
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text("a\nb\n")
    record = read_dataset(tmp_path, "voc")
    assert record.classes == ["ant", "zebra"]
    split = record.splits[0]
    assert split.skipped_images == 1  # b: its image is missing
    image = split.images[0]
    assert (image.width, image.height) == (50, 20)
    assert [(o.class_index, o.box) for o in image.objects] == [
        (1, (0.0, 1.0, 10.0, 8.0)),
        (0, (0.0, 1.0, 10.0, 8.0)),
    ]


def test_yolo_reader_segments_bad_lines_and_classes_without_classes_txt(tmp_path):
    _image(tmp_path / "images" / "train" / "a.jpg", 100, 50)
    _image(tmp_path / "images" / "train" / "b.jpg", 20, 20)  # no label file: no objects
    labels = tmp_path / "labels" / "train"
    labels.mkdir(parents=True)
    lines = ["0 0.5 0.5 0.2 0.4", "1 0.1 0.2 0.3 0.2 0.3 0.6", "7 0.5 0.5 0.1 0.1", "0 x 1 2 3"]
    (labels / "a.txt").write_text("\n".join(lines) + "\n\n")
    with pytest.raises(FileNotFoundError, match="classes.txt"):
        read_dataset(tmp_path, "yolo")
    record = read_dataset(tmp_path, "yolo", classes=["p", "q"])
    split = record.splits[0]
    assert split.skipped_objects == 2  # class 7 and the non-number
    boxes = [(o.class_index, tuple(round(v, 6) for v in o.box)) for o in split.images[0].objects]
    assert boxes == [(0, (40.0, 15.0, 60.0, 35.0)), (1, (10.0, 10.0, 30.0, 30.0))]
    assert split.images[1].objects == []
    (tmp_path / "classes.txt").write_text("p\nq\n")
    selected = read_dataset(tmp_path, "yolo", classes=["q"])  # by name against classes.txt
    assert [o.class_index for o in selected.splits[0].images[0].objects] == [0]
    assert selected.splits[0].skipped_objects == 3


def test_the_tools_offer_exactly_the_converter_formats():
    from detseg.choices.dataset_formats import DATASET_FORMAT_NAMES
    from detseg.convert.datasets.convert import DATASET_FORMATS

    assert tuple(DATASET_FORMATS) == DATASET_FORMAT_NAMES
