"""``--from voc`` with a class list: the warning about objects of other names says where they
are, as the training reader does (``Annotations/<id>.xml object <j>``, ``j`` from 1 over the
xml's ``<object>`` elements), so the user can open the file to fix."""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

from detseg.convert.datasets import read_dataset


def _voc(root: Path, objects: dict[str, list[str]]) -> Path:
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for image_id, names in objects.items():
        Image.new("RGB", (64, 48)).save(root / "JPEGImages" / f"{image_id}.jpg")
        body = "".join(
            f"<object><name>{name}</name><bndbox><xmin>3</xmin><ymin>4</ymin><xmax>20</xmax>"
            "<ymax>30</ymax></bndbox></object>"
            for name in names
        )
        xml = f"<annotation><filename>{image_id}.jpg</filename>{body}</annotation>"
        (root / "Annotations" / f"{image_id}.xml").write_text(xml)
    (root / "ImageSets" / "Main" / "train.txt").write_text("\n".join(objects) + "\n")
    return root


def test_the_warning_names_the_xml_file_and_object_of_each_unknown_class(tmp_path, caplog):
    root = _voc(tmp_path / "voc", {"a": ["dog", "dgo"], "b": ["dog"], "c": ["cat", "dog"]})
    with caplog.at_level(logging.WARNING):
        split = read_dataset(root, "voc", classes=["dog"]).splits[0]
    assert split.skipped_objects == 2
    [message] = [r.getMessage() for r in caplog.records if "not in classes" in r.getMessage()]
    assert message.endswith(
        "were skipped (at Annotations/a.xml object 2, Annotations/c.xml object 1)"
    )
    assert "['cat', 'dgo']" in message
