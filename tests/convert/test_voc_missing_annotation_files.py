"""A VOC split that lists an id without its ``Annotations/<id>.xml``: the converter refuses it
with the error the VOC dataset gives (:class:`detseg.data.voc.VOCDetection`), instead of
writing a dataset with that image left out."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from detseg.convert.datasets import convert_dataset, read_dataset
from detseg.data.voc import VOCDetection


def _voc(root: Path, ids: list[str], with_xml: list[str]) -> Path:
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for image_id in ids:
        Image.new("RGB", (32, 24), (90, 60, 30)).save(root / "JPEGImages" / f"{image_id}.jpg")
    for image_id in with_xml:
        box = "<xmin>2</xmin><ymin>3</ymin><xmax>20</xmax><ymax>15</ymax>"
        xml = (
            f"<annotation><filename>{image_id}.jpg</filename><object><name>cat</name>"
            f"<bndbox>{box}</bndbox></object></annotation>"
        )
        (root / "Annotations" / f"{image_id}.xml").write_text(xml)
    (root / "ImageSets" / "Main" / "train.txt").write_text("".join(f"{i}\n" for i in ids))
    return root


def _dataset_error(root: Path) -> str:
    with pytest.raises(FileNotFoundError) as error:
        VOCDetection(root, "train")
    return str(error.value)


def test_an_id_without_its_xml_is_refused_with_the_dataset_message(tmp_path):
    root = _voc(tmp_path / "voc", ["a", "b", "c"], with_xml=["a", "c"])
    message = _dataset_error(root)
    assert "1 of the 3 images listed by" in message and "b.xml" in message
    with pytest.raises(FileNotFoundError) as error:
        read_dataset(root, "voc")
    assert str(error.value) == message
    out = tmp_path / "out"
    with pytest.raises(FileNotFoundError, match="b.xml; remove its id from train.txt"):
        convert_dataset(root, out, "voc", "coco", progress=False)
    assert not (out / "annotations").exists()  # refused before a split is written


def test_a_split_without_any_xml_is_refused_as_the_dataset_refuses_it(tmp_path):
    root = _voc(tmp_path / "voc", ["a", "b"], with_xml=[])
    with pytest.raises(FileNotFoundError) as error:
        read_dataset(root, "voc")
    assert str(error.value) == _dataset_error(root)
    assert str(error.value).startswith("none of the 2 annotation files listed by")


def test_the_tool_exits_with_one_line(tmp_path, run_tool):
    root = _voc(tmp_path / "voc", ["a", "b", "c", "d", "e"], with_xml=["a"])
    result = run_tool(
        "convert_dataset.py", "--from", "voc", "--to", "yolo", root, tmp_path / "out", timeout=120
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "4 of the 5 images" in line]
    assert len(lines) == 1 and "b.xml" in lines[0] and "and 1 more" in lines[0], result.stderr
