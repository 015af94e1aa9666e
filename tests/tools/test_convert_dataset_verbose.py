"""``tools/convert_dataset.py --verbose`` lists every per-image note, one line each naming its
file (to fix the annotations); without it each kind is one summary line that names the flag."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

BOX = "<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>8</ymax></bndbox>"


@pytest.fixture(scope="module")
def voc(tmp_path_factory) -> Path:
    """A VOC source of 7 images whose ``<size>`` (64x24) is not their files' (32x24)."""
    root = tmp_path_factory.mktemp("voc")
    for folder in ("JPEGImages", "Annotations", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for k in range(7):
        Image.new("RGB", (32, 24)).save(root / "JPEGImages" / f"im{k}.jpg")
        xml = (
            f"<annotation><filename>im{k}.jpg</filename><size><width>64</width><height>24"
            f"</height></size><object><name>cat</name>{BOX}</object></annotation>"
        )
        (root / "Annotations" / f"im{k}.xml").write_text(xml)
    (root / "ImageSets" / "Main" / "train.txt").write_text("".join(f"im{k}\n" for k in range(7)))
    return root


def _notes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "the annotation gives the size" in line]


def test_without_verbose_a_kind_is_one_line_naming_the_flag(voc, tmp_path, run_tool):
    result = run_tool("convert_dataset.py", "--from", "voc", "--to", "coco", voc, tmp_path / "c")
    assert result.returncode == 0, result.stderr
    [line] = _notes(result.stderr)
    assert line.startswith("WARNING detseg.convert.datasets.image_notes: 7 images whose ")
    assert line.endswith("im4.xml (<size>) and 2 more (--verbose lists every one)")


def test_verbose_lists_every_note_with_its_file(voc, tmp_path, run_tool):
    result = run_tool(
        "convert_dataset.py", "--from", "voc", "--to", "coco", voc, tmp_path / "c", "--verbose"
    )
    assert result.returncode == 0, result.stderr
    *each, summary = _notes(result.stderr)
    assert each == [
        f"DEBUG detseg.convert.datasets.image_notes: {voc}/Annotations/im{k}.xml (<size>): the "
        f"annotation gives the size 64x24 (WxH) but {voc}/JPEGImages/im{k}.jpg is 32x24; its "
        "boxes are read against the image's size (fix the annotation's width/height)"
        for k in range(7)
    ]
    assert summary.endswith("and 2 more (listed above)")
    assert "wrote coco dataset" in result.stdout


def test_help_tells_of_verbose(run_tool):
    result = run_tool("convert_dataset.py", "--help")
    assert result.returncode == 0
    words = " ".join(result.stdout.split())  # as wrapped for any terminal width
    assert (
        "--verbose list every per-image note" in words and "one line each naming its file" in words
    )
