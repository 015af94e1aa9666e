"""A VOC split file (detection ``ImageSets/Main``, segmentation ``ImageSets/Segmentation``)
that lists an id twice, two split files pasted together, trains that image once, not twice per
epoch: the id is read at its first line, and one warning names the split file and the repeated
ids with their lines. The notes about listed images that are not there name each id's line
(the one it is read at) and count each id once. ``detseg-check-data`` leaves the warning to
its report, which lists the repeated ids as a finding (``repeated_ids``)."""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from detseg.data.said_once import say_dataset_warnings_once
from detseg.data.voc import VOCDetection
from detseg.data.voc_seg import VOCSegmentation
from detseg.dataset_check import check_dataset

_REPEATS = "detseg.data.voc_split_files.repeated_ids"
_XML = (
    "<annotation><filename>{name}.jpg</filename><object><name>cat</name><bndbox>"
    "<xmin>3</xmin><ymin>4</ymin><xmax>12</xmax><ymax>10</ymax></bndbox></object></annotation>"
)


def _voc(root, split_text, images=("a", "b", "c"), xmls=("a", "b", "c", "gone")):
    """A VOC folder for both readers: ``split_text`` is ``train.txt`` of ``ImageSets/Main``
    and of ``ImageSets/Segmentation``; images and label maps of ``images``, xml of ``xmls``."""
    for folder in (
        "Annotations",
        "JPEGImages",
        "SegmentationClass",
        "ImageSets/Main",
        "ImageSets/Segmentation",
    ):
        (root / folder).mkdir(parents=True)
    for name in xmls:
        (root / "Annotations" / f"{name}.xml").write_text(_XML.format(name=name))
    for name in images:
        Image.new("RGB", (16, 16)).save(root / "JPEGImages" / f"{name}.jpg")
        Image.fromarray(np.ones((16, 16), np.uint8)).save(root / f"SegmentationClass/{name}.png")
    for folder in ("Main", "Segmentation"):
        (root / "ImageSets" / folder / "train.txt").write_text(split_text)
    (root / "ImageSets" / "Main" / "val.txt").write_text("c\n")
    return root


def _said(caplog, logger=_REPEATS):
    return [r.getMessage() for r in caplog.records if r.name == logger]


def test_detection_reads_a_repeated_id_once_and_says_where(tmp_path, caplog):
    root = _voc(tmp_path / "voc", "a\nb\na\nc\n")
    with caplog.at_level(logging.WARNING):
        dataset = VOCDetection(root, "train")
    assert len(dataset) == 3 and dataset.names == ["a", "b", "c"]
    assert dataset.repeated_ids == {"a": [1, 3]}
    split_file = root / "ImageSets" / "Main" / "train.txt"
    assert _said(caplog) == [
        f"VOC split file {split_file} lists 1 id more than once: a at lines 1 and 3; each is "
        "read once, at its first line (delete the repeated lines)"
    ]


def test_segmentation_reads_a_repeated_id_once_and_says_where(tmp_path, caplog):
    root = _voc(tmp_path / "voc", "a\nb\nc\nb\na\nb\n")
    with caplog.at_level(logging.WARNING):
        dataset = VOCSegmentation(root, "train")
    assert len(dataset) == 3 and dataset.names == ["a", "b", "c"]
    assert dataset.repeated_ids == {"a": [1, 5], "b": [2, 4, 6]}
    (said,) = _said(caplog)
    assert str(root / "ImageSets" / "Segmentation" / "train.txt") in said
    assert "lists 2 ids more than once: a at lines 1 and 5, b at lines 2, 4 and 6;" in said


def test_many_repeated_ids_show_the_first_few(tmp_path, caplog):
    names = [f"id{k}" for k in range(7)]
    root = _voc(tmp_path / "voc", "\n".join(names * 2) + "\n", images=names, xmls=names)
    with caplog.at_level(logging.WARNING):
        dataset = VOCDetection(root, "train")
    assert len(dataset) == 7
    (said,) = _said(caplog)
    assert "lists 7 ids more than once: id0 at lines 1 and 8, id1 at lines 2 and 9," in said
    assert "id4 at lines 5 and 12 and 2 more; each is read once" in said


def test_a_split_without_repeats_says_nothing(tmp_path, caplog):
    root = _voc(tmp_path / "voc", "a\nb\nc\n")
    with caplog.at_level(logging.WARNING):
        detection = VOCDetection(root, "train")
        segmentation = VOCSegmentation(root, "train")
    assert len(detection) == len(segmentation) == 3
    assert detection.repeated_ids == segmentation.repeated_ids == {}
    assert not _said(caplog)


def test_missing_image_notes_name_each_id_once_at_its_line(tmp_path, caplog):
    root = _voc(tmp_path / "voc", "a\nb\na\ngone\nb\ngone\nc\n")
    with caplog.at_level(logging.WARNING):
        detection = VOCDetection(root, "train")
        segmentation = VOCSegmentation(root, "train")
    assert detection.missing_images == segmentation.missing_images == ["gone.jpg"]
    (detection_note,) = _said(caplog, "detseg.data.voc_split_files")
    assert detection_note.startswith("1 of the 4 ids of VOC split file")
    assert ": gone.jpg (line 4) (the folder holds" in detection_note
    (segmentation_note,) = _said(caplog, "detseg.data.voc_seg_split")
    assert segmentation_note.startswith("1 of the 4 ids of VOC split file")
    assert ": gone.jpg (the folder holds" in segmentation_note
    assert len(_said(caplog)) == 2  # the repeats, once for each split file


def test_a_dataset_built_again_in_a_run_does_not_repeat_the_warning(tmp_path, caplog):
    root = _voc(tmp_path / "voc", "a\nb\na\n")
    say_dataset_warnings_once()
    with caplog.at_level(logging.WARNING):
        VOCDetection(root, "train")
        VOCDetection(root, "train")
    assert len(_said(caplog)) == 1


def test_the_dataset_check_reports_the_repeats_once(tmp_path, caplog):
    """detseg-check-data lists the repeats as a finding of its report, for a detection and a
    segmentation split, and leaves the reader's warning out (said once, in the report)."""
    root = _voc(tmp_path / "voc", "a\nb\na\n")
    for data_format in ("voc", "voc_seg"):
        data = {"format": data_format, "root": str(root), "train_split": "train"}
        with caplog.at_level(logging.WARNING):
            check = check_dataset(data, ("train",), decode=False, progress=False)
        assert not _said(caplog)
        assert check.splits["train"]["images"] == 2
        (found,) = [f for f in check.findings if f.code == "repeated_ids"]
        assert "a at lines 1 and 3" in found.message
        assert found.files == ["a (lines 1 and 3)"]
