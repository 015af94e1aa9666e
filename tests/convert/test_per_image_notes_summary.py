"""The converter says a kind of per-image note (a stated size other than the file's, a VOC
``<filename>`` not in JPEGImages) in one summary line with its count and a few places; the
full list is at DEBUG level."""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

from detseg.convert.datasets import read_dataset

BOX = "<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>8</ymax></bndbox>"


def _voc(root: Path, count: int) -> Path:
    (root / "JPEGImages").mkdir(parents=True)
    (root / "Annotations").mkdir()
    (root / "ImageSets" / "Main").mkdir(parents=True)
    for k in range(count):
        Image.new("RGB", (32, 24)).save(root / "JPEGImages" / f"im{k}.jpg")
        size = "<size><width>64</width><height>24</height></size>"
        xml = f"<annotation><filename>old_{k}.jpg</filename>{size}<object><name>cat</name>"
        (root / "Annotations" / f"im{k}.xml").write_text(f"{xml}{BOX}</object></annotation>")
    ids = "".join(f"im{k}\n" for k in range(count))
    (root / "ImageSets" / "Main" / "train.txt").write_text(ids)
    return root


def _lines(caplog, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


def test_many_notes_of_a_kind_are_one_line_each(tmp_path, caplog):
    root = _voc(tmp_path / "voc", 8)
    with caplog.at_level(logging.INFO):
        read_dataset(root, "voc")
    sizes = [line for line in _lines(caplog, logging.WARNING) if "another size" in line]
    assert len(sizes) == 1
    assert sizes[0].startswith(
        "8 images whose annotation gives another size than the image file; the first: "
        f"{root}/Annotations/im0.xml (<size>): the annotation gives the size 64x24 (WxH)"
    )
    assert f"also {root}/Annotations/im1.xml (<size>), " in sizes[0]
    assert "im4.xml (<size>) and 3 more (the full list is logged at DEBUG level" in sizes[0]
    names = [line for line in _lines(caplog, logging.INFO) if "<filename>" in line]
    assert len(names) == 1
    assert names[0].startswith("8 VOC annotations whose <filename> is not in JPEGImages; ")
    assert "old_0.jpg is not in JPEGImages; read im0.jpg" in names[0]


def test_every_note_is_at_debug_level(tmp_path, caplog):
    root = _voc(tmp_path / "voc", 3)
    with caplog.at_level(logging.DEBUG):
        read_dataset(root, "voc")
    debug = _lines(caplog, logging.DEBUG)
    assert sum("the annotation gives the size 64x24" in line for line in debug) == 3
    assert sum("is not in JPEGImages; read" in line for line in debug) == 3


def test_a_single_note_keeps_its_level_where_debug_lines_are_on(tmp_path, caplog):
    """``convert_dataset.py --verbose``: the note is at DEBUG as it is read, and its kind's
    summary (the note itself) at WARNING, as without DEBUG lines."""
    root = _voc(tmp_path / "voc", 1)
    with caplog.at_level(logging.DEBUG):
        read_dataset(root, "voc")
    said = [r.levelno for r in caplog.records if "the annotation gives the size" in r.getMessage()]
    assert said == [logging.DEBUG, logging.WARNING]


def test_a_single_note_reaches_a_handler_that_drops_debug_lines(caplog):
    """A logger that allows DEBUG, a handler that keeps WARNING and above: the note is said."""
    from detseg.convert.datasets import image_notes
    from detseg.convert.datasets.image_notes import STATED_SIZE, collecting_notes, note

    kept: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: kept.append(record.getMessage())  # type: ignore[method-assign]
    image_notes.logger.addHandler(handler)
    try:
        with caplog.at_level(logging.DEBUG, logger=image_notes.__name__), collecting_notes():
            note(STATED_SIZE, "a.xml (<size>)", "a.xml (<size>): the one note")
    finally:
        image_notes.logger.removeHandler(handler)
    assert kept == ["a.xml (<size>): the one note"]


def test_a_single_note_is_said_as_it_is(tmp_path, caplog):
    root = _voc(tmp_path / "voc", 1)
    with caplog.at_level(logging.WARNING):
        read_dataset(root, "voc")
    assert _lines(caplog, logging.WARNING) == [
        f"{root}/Annotations/im0.xml (<size>): the annotation gives the size 64x24 (WxH) but "
        f"{root}/JPEGImages/im0.jpg is 32x24; its boxes are read against the image's size "
        "(fix the annotation's width/height)"
    ]


def test_missing_images_and_skipped_objects_are_one_line_each(tmp_path, caplog):
    root = _voc(tmp_path / "voc", 7)
    for k in range(3):
        (root / "JPEGImages" / f"im{k}.jpg").unlink()
    for k in range(3, 7):  # corners swapped: xmin above xmax
        xml = root / "Annotations" / f"im{k}.xml"
        xml.write_text(xml.read_text().replace("<xmin>1</xmin>", "<xmin>20</xmin>"))
    with caplog.at_level(logging.WARNING):
        read_dataset(root, "voc", classes=["cat"])
    warnings = _lines(caplog, logging.WARNING)
    [missing] = [line for line in warnings if "not found" in line]
    assert missing.startswith("3 images skipped (not found or unreadable); the first: ")
    assert f"the first: {root}/Annotations/im0.xml: image " in missing
    assert "not found; skipped; also " in missing
    [boxes] = [line for line in warnings if "corners" in line]
    assert boxes.startswith("4 objects skipped (no usable box, name or class); the first: ")


def test_nested_collections_each_say_their_own_notes(caplog):
    """A block inside another (both empty when the inner one starts) ends its own collection:
    the outer one goes on and says its notes when it ends."""
    from detseg.convert.datasets.image_notes import STATED_SIZE, collecting_notes, note

    with caplog.at_level(logging.WARNING), collecting_notes():
        with collecting_notes():
            pass  # no note: both collections are empty, and equal, when it ends
        note(STATED_SIZE, "outer.json: image 2", "outer note")
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert said == ["outer note"]


def test_a_kind_keeps_what_its_line_says_not_every_place(caplog):
    """Ten thousand notes keep the first in full and four more places (what the line names),
    not ten thousand places: the collector's memory does not grow with the notes."""
    from detseg.convert.datasets import image_notes
    from detseg.convert.datasets.image_notes import OBJECT_SKIPPED, collecting_notes, note

    with caplog.at_level(logging.WARNING), collecting_notes():
        for k in range(10_000):
            note(OBJECT_SKIPPED, f"a.json: annotation {k}", f"a.json: annotation {k}: no box")
        kept = image_notes._collections[-1][OBJECT_SKIPPED]
        assert kept.count == 10_000 and len(kept.places) == image_notes.PLACE_LIMIT
    assert _lines(caplog, logging.WARNING) == [
        "10000 objects skipped (no usable box, name or class); the first: a.json: annotation 0: "
        "no box; also a.json: annotation 1, a.json: annotation 2, a.json: annotation 3, a.json: "
        "annotation 4 and 9995 more (the full list is logged at DEBUG level: "
        "detseg.convert.datasets.image_notes)"
    ]


def test_a_few_notes_name_every_place_and_a_tool_its_own_words(caplog):
    from detseg.convert.datasets.image_notes import (
        IMAGE_SKIPPED,
        collecting_notes,
        full_list_said,
        note,
    )

    with caplog.at_level(logging.WARNING), full_list_said("--verbose lists every one"):
        with collecting_notes():
            for k in range(3):
                note(IMAGE_SKIPPED, f"im{k}.xml", f"im{k}.xml: image im{k}.jpg not found; skipped")
    assert _lines(caplog, logging.WARNING) == [
        "3 images skipped (not found or unreadable); the first: im0.xml: image im0.jpg not "
        "found; skipped; also im1.xml, im2.xml (--verbose lists every one)"
    ]
