"""A converted VOC dataset keeps its PNG images: an image whose xml cannot be read (or names
no ``<filename>``) is still found by its id, with its own suffix."""

from __future__ import annotations

import logging

from detseg.convert.datasets import convert_dataset
from detseg.data.voc import VOCDetection


def test_an_unreadable_or_nameless_xml_still_finds_its_png(shapes_coco, tmp_path, caplog):
    dst = tmp_path / "voc"
    convert_dataset(shapes_coco, dst, "coco", "voc", splits=["train"], progress=False)
    names = (dst / "ImageSets" / "Main" / "train.txt").read_text().split()
    broken, nameless = names[0], names[1]
    (dst / "Annotations" / f"{broken}.xml").write_text("<annotation><broken")
    xml = dst / "Annotations" / f"{nameless}.xml"
    text = xml.read_text()
    start, end = text.index("<filename>"), text.index("</filename>") + len("</filename>")
    xml.write_text(text[:start] + text[end:])
    with caplog.at_level(logging.WARNING, logger="detseg.data.voc"):
        dataset = VOCDetection(dst, "train", classes=str(dst / "classes.txt"))
    assert "1 of" in caplog.text and f"{broken}.xml" in caplog.text  # the xml is named
    for index in (0, 1):
        path = dataset.image_path(index)
        assert path.name == f"{names[index]}.png" and path.is_file()
    assert dataset[0] is not None and len(dataset[0][1]["boxes"]) == 0  # read without objects
    assert len(dataset[1][1]["boxes"]) > 0  # its objects are kept


def test_an_image_with_no_file_keeps_the_voc_jpg_name(shapes_coco, tmp_path):
    dst = tmp_path / "voc"
    convert_dataset(shapes_coco, dst, "coco", "voc", splits=["train"], progress=False)
    name = (dst / "ImageSets" / "Main" / "train.txt").read_text().split()[0]
    (dst / "Annotations" / f"{name}.xml").write_text("<annotation><broken")
    (dst / "JPEGImages" / f"{name}.png").unlink()
    dataset = VOCDetection(dst, "train", classes=str(dst / "classes.txt"))
    assert dataset.image_path(0).name == f"{name}.jpg"  # reported missing under that name
