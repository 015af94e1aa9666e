"""A source that names no class is refused: a VOC folder without ``classes.txt`` whose every
object was skipped (no name or no numeric box) used to be written as a dataset of 0 classes
("wrote coco dataset out (0 classes: )", exit 0), which no model can be trained on."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from detseg.convert.datasets import convert_dataset


def _voc_without_usable_objects(root: Path) -> Path:
    """One image whose only object has a name but no full box, and no ``classes.txt``."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    Image.new("RGB", (32, 24), (90, 60, 30)).save(root / "JPEGImages" / "a.jpg")
    xml = (
        "<annotation><filename>a.jpg</filename><object><name>cat</name>"
        "<bndbox><xmin>2</xmin></bndbox></object></annotation>"
    )
    (root / "Annotations" / "a.xml").write_text(xml)
    (root / "ImageSets" / "Main" / "train.txt").write_text("a\n")
    return root


def test_a_source_without_classes_is_refused_before_writing(tmp_path):
    root = _voc_without_usable_objects(tmp_path / "voc")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"voc source names no class \(1 object skipped"):
        convert_dataset(root, out, "voc", "coco", progress=False)
    assert not out.exists() or not any(out.iterdir())


def test_named_classes_still_convert_the_images(tmp_path):
    root = _voc_without_usable_objects(tmp_path / "voc")
    summary = convert_dataset(root, tmp_path / "out", "voc", "coco", classes=["cat"])
    assert summary.classes == ["cat"] and summary.splits[0].images == 1


def test_the_tool_exits_with_one_line(tmp_path, run_tool):
    root = _voc_without_usable_objects(tmp_path / "voc")
    result = run_tool(
        "convert_dataset.py", "--from", "voc", "--to", "yolo", root, tmp_path / "out", timeout=120
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "--classes FILE" in errors[0], result.stderr
