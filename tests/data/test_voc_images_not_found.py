"""A VOC detection split file naming an image that is not in ``JPEGImages`` is said when the
dataset is built, as the ``voc_seg`` reader says it: the split file and the id's line, what the
folder holds, and the two ways out. Images missing among others are still skipped and counted
when read; a split none of whose images is there is one error (every sample would be skipped:
a run of no step), not one warning per image."""

from __future__ import annotations

import logging

import pytest
from PIL import Image

from detseg.data.voc import VOCDetection

_XML = (
    "<annotation><filename>{name}.jpg</filename><object><name>cat</name><bndbox>"
    "<xmin>3</xmin><ymin>4</ymin><xmax>12</xmax><ymax>10</ymax></bndbox></object></annotation>"
)


def _voc(root, names, images, split_text=None):
    """``names`` listed by ``train.txt`` (or ``split_text``), each with its xml; images only for
    ``images``."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True)
    for name in names:
        (root / "Annotations" / f"{name}.xml").write_text(_XML.format(name=name))
    for name in images:
        Image.new("RGB", (16, 16)).save(root / "JPEGImages" / f"{name}.jpg")
    split_file = root / "ImageSets" / "Main" / "train.txt"
    split_file.write_text(split_text or "\n".join(names) + "\n")
    return split_file


def _notes(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "detseg.data.voc_split_files"]


def test_a_missing_image_is_named_with_its_line_and_what_the_folder_holds(tmp_path, caplog):
    split_file = _voc(tmp_path, ["a", "b", "c"], images=["a", "c"], split_text="a\n\nb\nc\n")
    with caplog.at_level(logging.WARNING, logger="detseg.data.voc_split_files"):
        dataset = VOCDetection(tmp_path, "train")
    assert _notes(caplog) == [
        f"1 of the 3 ids of VOC split file {split_file} has no image in "
        f"{tmp_path / 'JPEGImages'}: b.jpg (line 3) (the folder holds 2 .jpg files: a.jpg, "
        "c.jpg); it is skipped and counted as unreadable; remove its id from train.txt or add "
        "the image file"
    ]
    assert dataset.missing_images == ["b.jpg"]
    assert len(dataset) == 3 and dataset[1] is None and dataset[0] is not None


def test_a_complete_split_says_nothing(tmp_path, caplog):
    _voc(tmp_path, ["a", "b"], images=["a", "b"])
    with caplog.at_level(logging.WARNING, logger="detseg.data.voc_split_files"):
        dataset = VOCDetection(tmp_path, "train")
    assert not _notes(caplog) and dataset.missing_images == []


def test_a_split_of_no_image_is_one_error_naming_the_first_and_the_folder(tmp_path):
    split_file = _voc(tmp_path, ["a", "b"], images=[])
    (tmp_path / "JPEGImages" / "other.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError) as error:
        VOCDetection(tmp_path, "train")
    assert str(error.value).startswith(
        f"none of the 2 images listed by VOC split file {split_file} is in "
        f"{tmp_path / 'JPEGImages'} (first: a.jpg, line 1); the folder holds no .jpg file, "
        "but 1 other: other.png; is the split file meant for this data.root? expected <root>/"
    )
