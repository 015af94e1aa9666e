"""A converted VOC dataset keeps its PNG images: an image whose xml names no ``<filename>`` is
still found by its id, with its own suffix (an xml that cannot be read leaves its image out)."""

from __future__ import annotations

import logging

from detseg.convert.datasets import convert_dataset
from detseg.data.voc import VOCDetection


def test_a_nameless_xml_finds_its_png_and_an_unreadable_one_is_left_out(
    shapes_coco, tmp_path, caplog
):
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
    assert dataset.names == names[1:]  # the image of the unreadable xml is left out
    path = dataset.image_path(0)
    assert path.name == f"{nameless}.png" and path.is_file()
    assert len(dataset[0][1]["boxes"]) > 0  # its objects are kept


def test_an_image_with_no_file_keeps_the_voc_jpg_name(shapes_coco, tmp_path):
    dst = tmp_path / "voc"
    convert_dataset(shapes_coco, dst, "coco", "voc", splits=["train"], progress=False)
    name = (dst / "ImageSets" / "Main" / "train.txt").read_text().split()[0]
    xml = dst / "Annotations" / f"{name}.xml"
    text = xml.read_text()
    start, end = text.index("<filename>"), text.index("</filename>") + len("</filename>")
    xml.write_text(text[:start] + text[end:])
    (dst / "JPEGImages" / f"{name}.png").unlink()
    dataset = VOCDetection(dst, "train", classes=str(dst / "classes.txt"))
    assert dataset.image_path(0).name == f"{name}.jpg"  # reported missing under that name
