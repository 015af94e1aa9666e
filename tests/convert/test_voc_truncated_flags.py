"""VOC ``<truncated>`` carries through conversion: VOC -> COCO (an extra ``"truncated": 1``
annotation field, as ``difficult`` is carried) -> VOC, and VOC -> VOC."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from detseg.convert.datasets import convert_dataset, read_dataset

#: (name, truncated, difficult, xyxy VOC pixel indices) of the one image's objects.
_OBJECTS = [
    ("cat", "1", "0", (3, 4, 20, 30)),
    ("dog", "0", "1", (10, 12, 40, 44)),
    ("cat", "1", "1", (30, 5, 60, 25)),
]


@pytest.fixture(scope="module")
def voc_source(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("voc_truncated") / "voc"
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    Image.new("RGB", (64, 48), (40, 80, 120)).save(root / "JPEGImages" / "a.jpg")
    (root / "ImageSets" / "Main" / "train.txt").write_text("a\n")
    objects = "".join(
        f"<object><name>{n}</name><truncated>{t}</truncated><difficult>{d}</difficult>"
        f"<bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax>"
        "</bndbox></object>"
        for n, t, d, b in _OBJECTS
    )
    xml = f"<annotation><filename>a.jpg</filename>{objects}</annotation>"
    (root / "Annotations" / "a.xml").write_text(xml)
    return root


def _voc_flags(root: Path) -> list[tuple[str, str]]:
    tree = ET.parse(root / "Annotations" / "a.xml").getroot()
    return [(o.findtext("truncated", ""), o.findtext("difficult", "")) for o in tree.iter("object")]


def test_the_reader_keeps_truncated(voc_source):
    objects = read_dataset(voc_source, "voc").splits[0].images[0].objects
    assert [o.truncated for o in objects] == [True, False, True]


def test_voc_to_coco_to_voc_keeps_truncated(voc_source, tmp_path):
    convert_dataset(voc_source, tmp_path / "coco", "voc", "coco", progress=False)
    coco = json.loads((tmp_path / "coco/annotations/instances_train.json").read_text())
    assert [a.get("truncated", 0) for a in coco["annotations"]] == [1, 0, 1]
    assert [a.get("difficult", 0) for a in coco["annotations"]] == [0, 1, 1]
    convert_dataset(tmp_path / "coco", tmp_path / "voc", "coco", "voc", progress=False)
    assert _voc_flags(tmp_path / "voc") == [(t, d) for _, t, d, _ in _OBJECTS]


def test_voc_to_voc_keeps_truncated(voc_source, tmp_path):
    from detseg.convert.datasets.convert import DATASET_FORMATS
    from detseg.convert.datasets.output_files import no_progress

    dataset = read_dataset(voc_source, "voc")
    DATASET_FORMATS["voc"][2](dataset, tmp_path / "voc", False, no_progress)
    assert _voc_flags(tmp_path / "voc") == [(t, d) for _, t, d, _ in _OBJECTS]
