"""VOC xml is 1-based; files with ``xmin`` or ``ymin`` 0 look 0-based and are named in one
warning per dataset, their boxes read unchanged."""

from __future__ import annotations

import logging

import cv2
import numpy as np

from detseg.convert.datasets.voc_reader import read_voc
from detseg.data import VOCDetection


def _voc(root, boxes: dict[str, tuple[int, int, int, int]]) -> None:
    """A VOC folder of one 50 x 100 image per name, each with one ``dog`` of ``boxes``."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    (root / "ImageSets" / "Main" / "trainval.txt").write_text("".join(f"{n}\n" for n in boxes))
    for name, (x1, y1, x2, y2) in boxes.items():
        assert cv2.imwrite(str(root / "JPEGImages" / f"{name}.jpg"), np.zeros((50, 100, 3)))
        (root / "Annotations" / f"{name}.xml").write_text(
            f"<annotation><filename>{name}.jpg</filename><object><name>dog</name><bndbox>"
            f"<xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax>"
            "</bndbox></object></annotation>"
        )


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_zero_based_files_are_named_once(tmp_path, caplog):
    _voc(tmp_path, {"a": (5, 5, 15, 15), "b": (0, 3, 10, 10), "c": (2, 0, 10, 10)})
    with caplog.at_level(logging.WARNING):
        dataset = VOCDetection(tmp_path, "trainval")
    (message,) = _warnings(caplog)
    assert message.startswith(
        f"{tmp_path / 'Annotations' / 'b.xml'} has an object with xmin or ymin 0 (2 of 3 VOC "
        "annotation files have such objects): the annotations look 0-based, but detseg reads "
        "VOC as 1-based like the VOC devkit and Detectron2"
    )
    assert dataset.annotations(1, (50, 100)).boxes.tolist() == [[-1.0, 2.0, 10.0, 10.0]]


def test_one_based_files_say_nothing(tmp_path, caplog):
    _voc(tmp_path, {"a": (1, 1, 100, 50)})
    with caplog.at_level(logging.WARNING):
        VOCDetection(tmp_path, "trainval")
    assert _warnings(caplog) == []


def test_dataset_conversion_names_them_too(tmp_path, caplog):
    _voc(tmp_path, {"a": (0, 0, 10, 10), "b": (5, 5, 15, 15)})
    with caplog.at_level(logging.WARNING):
        read_voc(tmp_path, ["trainval"], classes=["dog"])
    (message,) = _warnings(caplog)
    assert message.startswith(
        f"{tmp_path / 'Annotations' / 'a.xml'} has an object with xmin or ymin 0 (1 of 2 VOC "
        "annotation files"
    )
