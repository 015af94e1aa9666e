"""An id that a VOC split file lists many times is named with its first few lines and how many
more, not every line (one id 2000 times made one warning of 11,000 characters); and the error
about a split whose annotation files are missing does not say the repeated-ids warning again."""

from __future__ import annotations

import logging

import pytest
from PIL import Image

from detseg.data.voc import VOCDetection
from detseg.data.voc_split_files import line_numbers_text, repeated_ids_note

_REPEATS = "detseg.data.voc_split_files.repeated_ids"
_XML = (
    "<annotation><filename>{name}.jpg</filename><object><name>cat</name><bndbox>"
    "<xmin>3</xmin><ymin>4</ymin><xmax>12</xmax><ymax>10</ymax></bndbox></object></annotation>"
)


def _voc(root, split_text, xmls=("a", "b")):
    """A VOC folder whose ``ImageSets/Main/train.txt`` is ``split_text``, with the images of
    ``a`` and ``b`` and the xml files of ``xmls``."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for name in ("a", "b"):
        Image.new("RGB", (16, 16)).save(root / "JPEGImages" / f"{name}.jpg")
    for name in xmls:
        (root / "Annotations" / f"{name}.xml").write_text(_XML.format(name=name))
    (root / "ImageSets" / "Main" / "train.txt").write_text(split_text)
    return root


def _said(caplog):
    return [r.getMessage() for r in caplog.records if r.name == _REPEATS]


@pytest.mark.parametrize(
    ("numbers", "text"),
    [
        ([3, 9], "3 and 9"),
        ([1, 3, 4], "1, 3 and 4"),
        ([1, 3, 4, 8], "1, 3, 4 and 8"),  # one more is named, not "and 1 more"
        ([1, 3, 4, 8, 9], "1, 3, 4 and 2 more"),
        (list(range(1, 2001)), "1, 2, 3 and 1997 more"),
    ],
)
def test_line_numbers_are_capped(numbers, text):
    assert line_numbers_text(numbers) == text


def test_an_id_listed_2000_times_is_named_in_a_short_warning(tmp_path, caplog):
    root = _voc(tmp_path / "voc", "a\n" * 2000 + "b\n")
    with caplog.at_level(logging.WARNING):
        dataset = VOCDetection(root, "train")
    assert dataset.names == ["a", "b"]
    split_file = root / "ImageSets" / "Main" / "train.txt"
    assert _said(caplog) == [
        f"VOC split file {split_file} lists 1 id more than once: a at lines 1, 2, 3 and 1997 "
        "more; each is read once, at its first line (delete the repeated lines)"
    ]


def test_the_note_caps_each_id_and_the_ids(tmp_path):
    repeated = {f"id{k}": list(range(k + 1, 1000 * (k + 1), 7)) for k in range(9)}
    note = repeated_ids_note(tmp_path / "train.txt", repeated)
    assert "id0 at lines 1, 8, 15 and 140 more, id1 at lines 2, 9, 16 and 283 more," in note
    assert "id5" not in note and len(note) < 400


def test_missing_annotation_files_say_the_repeats_once(tmp_path, caplog):
    root = _voc(tmp_path / "voc", "a\nb\na\n", xmls=())
    with caplog.at_level(logging.WARNING), pytest.raises(FileNotFoundError) as raised:
        VOCDetection(root, "train")
    assert "line 1" in str(raised.value)  # the line of the id, read without a second warning
    assert len(_said(caplog)) == 1
