"""Dataset conversion of awkward source files: file names with spaces, stale VOC
``<filename>`` entries, non-finite YOLO class fields. Each must convert as detseg's training
readers read the source, not lose images or stop the conversion."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from detseg.convert.datasets import convert_dataset
from detseg.data.registry import build_dataset


def _image(path: Path, width: int = 40, height: int = 30) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height)).save(path)


def _coco_json(root: Path) -> dict:
    return json.loads((root / "annotations" / "instances_train.json").read_text())


def test_file_names_with_spaces_keep_their_images_through_voc(tmp_path):
    src = tmp_path / "coco"
    for name in ("my photo.png", "other.png"):
        _image(src / "train" / "images" / name)
    images = [
        {"id": 1, "file_name": "my photo.png", "width": 40, "height": 30},
        {"id": 2, "file_name": "other.png", "width": 40, "height": 30},
    ]
    anns = [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 3, 10, 12], "iscrowd": 0}]
    coco = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "cat"}]}
    (src / "annotations").mkdir()
    (src / "annotations" / "instances_train.json").write_text(json.dumps(coco))

    convert_dataset(src, tmp_path / "voc", "coco", "voc", progress=False)
    # a VOC split file holds one id per line, and readers take its first word
    ids = (tmp_path / "voc" / "ImageSets" / "Main" / "train.txt").read_text().split()
    assert ids == ["my_photo", "other"]
    voc = build_dataset(
        {"format": "voc", "root": str(tmp_path / "voc"), "train_split": "train"}, "train"
    )
    _, target = voc[0]
    assert target["boxes"].tolist() == [[2.0, 3.0, 12.0, 15.0]]

    back = convert_dataset(tmp_path / "voc", tmp_path / "back", "voc", "coco", progress=False)
    assert back.splits[0].images == 2 and back.splits[0].skipped_images == 0
    result = _coco_json(tmp_path / "back")
    assert [image["file_name"] for image in result["images"]] == ["my_photo.png", "other.png"]
    assert result["annotations"][0]["bbox"] == [2.0, 3.0, 10.0, 12.0]


def test_voc_image_is_found_by_its_id_when_the_xml_names_a_stale_file(tmp_path):
    root = tmp_path / "voc"
    _image(root / "JPEGImages" / "0001.png")  # renamed (and re-suffixed) after labelling
    (root / "Annotations").mkdir()
    (root / "Annotations" / "0001.xml").write_text(
        "<annotation><filename>IMG_4711.jpg</filename><object><name>cat</name>"
        "<difficult>1</difficult><bndbox><xmin>2</xmin><ymin>3</ymin><xmax>10</xmax>"
        "<ymax>12</ymax></bndbox></object></annotation>"
    )
    (root / "ImageSets" / "Main").mkdir(parents=True)
    (root / "ImageSets" / "Main" / "train.txt").write_text("0001\n")
    # training reads this image (found by its id); the conversion must keep it too
    trained = build_dataset({"format": "voc", "root": str(root), "train_split": "train"}, "train")
    assert len(trained) == 1 and trained[0] is not None

    summary = convert_dataset(root, tmp_path / "coco", "voc", "coco", progress=False)
    assert (summary.splits[0].images, summary.splits[0].objects) == (1, 1)
    result = _coco_json(tmp_path / "coco")
    assert [image["file_name"] for image in result["images"]] == ["0001.png"]
    assert result["annotations"][0]["bbox"] == [1.0, 2.0, 9.0, 10.0]
    assert result["annotations"][0]["difficult"] == 1


def test_yolo_line_with_a_non_finite_class_is_skipped_not_fatal(tmp_path):
    root = tmp_path / "yolo"
    _image(root / "images" / "train" / "a.png", 60, 40)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "labels" / "train" / "a.txt").write_text(
        "nan 0.5 0.5 0.1 0.1\ninf 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.5 0.5\n"
    )
    (root / "classes.txt").write_text("cat\n")

    summary = convert_dataset(root, tmp_path / "coco", "yolo", "coco", progress=False)
    assert (summary.splits[0].objects, summary.splits[0].skipped_objects) == (1, 2)
    bbox = _coco_json(tmp_path / "coco")["annotations"][0]["bbox"]
    np.testing.assert_allclose(bbox, [15.0, 10.0, 30.0, 20.0])


def test_a_file_name_that_climbs_out_is_written_inside_the_output(tmp_path):
    """A VOC ``<filename>`` with ``..`` or an absolute path: the COCO copy lands in the
    output's images folder under one flat name, and no file outside the output is replaced."""
    src = tmp_path / "s1" / "s2" / "voc"
    climbing = "../../../victim.png"  # from src/JPEGImages: tmp_path/s1/victim.png
    _image(tmp_path / "s1" / "victim.png")
    _image(src / "elsewhere" / "abs.png")
    (src / "JPEGImages").mkdir()
    absolute = str((src / "elsewhere" / "abs.png").resolve())
    (src / "Annotations").mkdir(parents=True)
    for image_id, name in (("a", climbing), ("b", absolute)):
        (src / "Annotations" / f"{image_id}.xml").write_text(
            f"<annotation><filename>{name}</filename></annotation>"
        )
    (src / "ImageSets" / "Main").mkdir(parents=True)
    (src / "ImageSets" / "Main" / "train.txt").write_text("a\nb\n")
    dst = tmp_path / "d1" / "out"
    victim = tmp_path / "d1" / "victim.png"  # where the climbing name would have gone
    victim.parent.mkdir(parents=True)
    victim.write_bytes(b"keep me")

    convert_dataset(src, dst, "voc", "coco", classes=["thing"], progress=False)  # no object
    names = [image["file_name"] for image in _coco_json(dst)["images"]]
    assert names == [".._.._.._victim.png", "_".join(Path(absolute).parts[1:])]
    for name in names:
        assert (dst / "train" / "images" / name).is_file()
    assert victim.read_bytes() == b"keep me"

    convert_dataset(src, tmp_path / "yolo", "voc", "yolo", classes=["thing"], progress=False)
    written = sorted(p.name for p in (tmp_path / "yolo").rglob("*.png"))
    assert written == sorted(names)
    assert victim.read_bytes() == b"keep me"
