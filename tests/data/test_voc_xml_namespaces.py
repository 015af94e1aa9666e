"""A VOC xml written with a default namespace (``<annotation xmlns="...">``) is read like one
without: its objects, ``<filename>`` and ``<size>`` are found, not read as an empty image."""

from __future__ import annotations

import cv2
import numpy as np

from detseg.data import VOCDetection

BOX = "<bndbox><xmin>2</xmin><ymin>3</ymin><xmax>20</xmax><ymax>30</ymax></bndbox>"


def test_objects_of_a_namespaced_xml_are_read(tmp_path):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    assert cv2.imwrite(str(tmp_path / "JPEGImages" / "photo.png"), np.zeros((48, 64, 3), np.uint8))
    (tmp_path / "Annotations" / "a.xml").write_text(
        '<annotation xmlns="http://example.com/voc"><filename>photo.png</filename>'
        "<size><width>64</width><height>48</height></size>"
        f"<object><name>cat</name><difficult>1</difficult>{BOX}</object></annotation>"
    )
    (tmp_path / "ImageSets/Main/trainval.txt").write_text("a\n")
    dataset = VOCDetection(tmp_path, "trainval", keep_difficult=True)
    assert dataset.classes == ["cat"] and dataset.stated_size(0) == (48, 64)
    assert dataset.image_path(0).name == "photo.png"
    _, target = dataset[0]
    assert target["boxes"].tolist() == [[1.0, 2.0, 20.0, 30.0]]
    assert target["difficult"].tolist() == [1]
