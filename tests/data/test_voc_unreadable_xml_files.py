"""A VOC xml that cannot be read leaves its image out of the dataset (skip and count, as the
converter does): read as an image without objects, its objects would be trained as background
and correct detections on it scored as false positives. One warning names the first files and
their count; a split none of whose xml files can be read is an error naming the split file."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from detseg.data.voc import VOCDetection

_XML = (
    "<annotation><filename>{name}.jpg</filename><object><name>cat</name><bndbox>"
    "<xmin>3</xmin><ymin>4</ymin><xmax>12</xmax><ymax>10</ymax></bndbox></object></annotation>"
)


def _voc(root, names, broken):
    """``names`` listed by ``train.txt``, each with a 16x16 image and one cat; the xml files of
    ``broken`` are cut short."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for name in names:
        Image.new("RGB", (16, 16)).save(root / "JPEGImages" / f"{name}.jpg")
        text = "<annotation><object><name>cat" if name in broken else _XML.format(name=name)
        (root / "Annotations" / f"{name}.xml").write_text(text)
    split_file = root / "ImageSets" / "Main" / "train.txt"
    split_file.write_text("\n".join(names) + "\n")
    return split_file


def test_an_unreadable_xml_leaves_its_image_out(tmp_path, caplog):
    split_file = _voc(tmp_path, ["a", "b", "c"], broken={"b"})
    with caplog.at_level(logging.WARNING, logger="detseg.data.voc"):
        dataset = VOCDetection(tmp_path, "train")
    assert len(dataset) == 2
    assert dataset.names == ["a", "c"] and dataset.image_ids == [1, 2]
    for index, name in enumerate(["a", "c"]):
        assert dataset.image_path(index).name == f"{name}.jpg"
        _, target = dataset[index]
        np.testing.assert_allclose(target["boxes"].numpy(), [[2, 3, 12, 10]])
        assert target["labels"].tolist() == [1]
        assert int(target["image_id"]) == index + 1
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    xml_file = tmp_path / "Annotations" / "b.xml"
    assert warning.startswith(
        f"1 of the 3 images listed by {split_file} is left out: its annotation file cannot be "
        f"read: {xml_file} ("
    )
    assert warning.endswith("); fix the xml file or remove its id from train.txt")


def test_the_warning_names_the_first_three_and_counts_the_rest(tmp_path, caplog):
    names = [f"img{i}" for i in range(7)]
    _voc(tmp_path, names, broken=set(names[1:6]))
    with caplog.at_level(logging.WARNING, logger="detseg.data.voc"):
        dataset = VOCDetection(tmp_path, "train")
    assert dataset.names == ["img0", "img6"]
    assert [path.name for path, _ in dataset.unreadable_annotation_files] == [
        f"{n}.xml" for n in names[1:6]
    ]
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith("5 of the 7 images listed by ")
    assert "are left out: their annotation files cannot be read: " in warning
    assert all(f"img{i}.xml" in warning for i in (1, 2, 3))
    assert "img4.xml" not in warning
    assert warning.endswith(" and 2 more; fix the xml files or remove their ids from train.txt")


def test_a_split_of_unreadable_xml_files_is_an_error_naming_the_split_file(tmp_path):
    split_file = _voc(tmp_path, ["a", "b"], broken={"a", "b"})
    with pytest.raises(ValueError) as raised:
        VOCDetection(tmp_path, "train")
    message = str(raised.value)
    assert message.startswith(
        f"none of the 2 annotation files listed by {split_file} can be read: "
        f"{tmp_path / 'Annotations' / 'a.xml'} ("
    )
    assert message.endswith("; fix the xml files")
