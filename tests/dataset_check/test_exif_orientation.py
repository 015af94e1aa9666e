"""EXIF orientation in the dataset check: images are checked and drawn as training reads them.

A JPEG whose orientation swaps width and height (5..8) is read as displayed when its labels
state the displayed size (``detseg.data.image_io.labels_follow_orientation``), else as stored.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from detseg.data import image_io
from detseg.dataset_check import check_dataset
from detseg.dataset_check.gallery import draw_grid

# Stored 20 x 40 (H x W), left half white. Orientation 6 shows it 40 x 20 (W x H 20 x 40),
# turned clockwise: the white half on top.
STORED = np.zeros((20, 40, 3), dtype=np.uint8)
STORED[:, :20] = 255


def _photo(path: Path, orientation: int = 6) -> None:
    image = Image.fromarray(STORED)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(path, exif=exif.tobytes(), quality=100)


def _coco(root: Path, stated_hw: tuple[int, int], bbox: list[float], orientation: int = 6) -> dict:
    """A COCO train split of one tagged photo whose entry states ``stated_hw``."""
    (root / "train" / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    _photo(root / "train" / "images" / "a.jpg", orientation)
    ann = {"id": 1, "image_id": 1, "category_id": 1, "bbox": bbox, "area": 1.0, "iscrowd": 0}
    entry = {"id": 1, "file_name": "a.jpg", "height": stated_hw[0], "width": stated_hw[1]}
    coco = {"images": [entry], "annotations": [ann], "categories": [{"id": 1, "name": "a"}]}
    (root / "annotations" / "instances_train.json").write_text(json.dumps(coco))
    return {"format": "coco", "root": str(root)}


@pytest.fixture(autouse=True)
def _fresh_report(monkeypatch):
    """Each test starts as a new process would: no orientation reported yet."""
    monkeypatch.setattr(image_io, "_orientation_reported", False, raising=False)


def _codes(check) -> dict[str, str]:
    return {f.code: f.severity for f in check.findings}


def test_a_photo_labelled_as_displayed_is_checked_at_its_displayed_size(tmp_path, caplog):
    """The entry states 40 x 20 (H x W), the stored size transposed; the box lies in the
    bottom half of the displayed photo (y 25..38), outside the stored 20 px height."""
    data = _coco(tmp_path, (40, 20), [0, 25, 20, 13])
    with caplog.at_level(logging.WARNING):
        check = check_dataset(data, ("train",))
    summary = check.splits["train"]
    assert summary["size_mismatches"] == 0 and summary["outside_boxes"] == 0
    assert summary["kept_objects"] == 1
    (record,) = check.scans["train"].records
    assert record.size == (40, 20) and record.displayed and record.orientation == 6
    assert _codes(check) == {"displayed_images": "info"}
    assert summary["displayed_examples"] == [
        "train/images/a.jpg: EXIF orientation 6, read as 20 x 40 (W x H)"
    ]
    assert "read as stored" not in caplog.text  # the scan's decode does not claim otherwise


def test_a_photo_labelled_as_stored_is_checked_as_stored_and_noted(tmp_path):
    check = check_dataset(_coco(tmp_path, (20, 40), [0, 0, 18, 20]), ("train",))
    (record,) = check.scans["train"].records
    assert record.size == (20, 40) and not record.displayed
    assert _codes(check) == {"stored_orientation_images": "info"}
    (found,) = check.findings
    assert "exif_transpose" in found.message and found.count == 1
    assert found.files == ["train/images/a.jpg: EXIF orientation 6, read as 40 x 20 (W x H)"]


def test_another_stated_size_is_still_a_mismatch_with_the_stored_size(tmp_path):
    check = check_dataset(_coco(tmp_path, (30, 30), [0, 0, 18, 18]), ("train",))
    (found,) = [f for f in check.findings if f.code == "size_mismatches"]
    assert found.files == [
        "train/images/a.jpg: the annotations say 30 x 30 (W x H), the file is 40 x 20"
    ]


def test_a_label_map_of_the_displayed_photo_is_counted_not_refused(tmp_path):
    for folder in ("images/train", "masks/train"):
        (tmp_path / folder).mkdir(parents=True)
    _photo(tmp_path / "images" / "train" / "a.jpg", 6)
    label_map = np.zeros((40, 20), dtype=np.uint8)  # displayed size; class 1 on the top half
    label_map[:20] = 1
    Image.fromarray(label_map).save(tmp_path / "masks" / "train" / "a.png")
    (tmp_path / "classes.txt").write_text("white\n")
    check = check_dataset({"format": "folder_seg", "root": str(tmp_path)}, ("train",))
    summary = check.splits["train"]
    assert summary["label_problems"] == {"invalid": 0, "unreadable": 0}
    assert summary["class_pixels"]["white"]["pixels"] == 400
    assert summary["displayed_images"] == 1
    (item,) = draw_grid(check.scans["train"], 4)
    assert _drawn(item.data_uri).shape[0] == 256  # portrait (a legend may widen it)


def _drawn(uri: str) -> np.ndarray:
    data = base64.b64decode(uri.removeprefix("data:image/jpeg;base64,"))
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)


def test_the_gallery_draws_a_photo_labelled_as_displayed_upright(tmp_path):
    check = check_dataset(_coco(tmp_path, (40, 20), [2, 2, 16, 16]), ("train",))
    (item,) = draw_grid(check.scans["train"], 4)
    drawn = _drawn(item.data_uri)
    assert drawn.shape == (256, 128)  # portrait, as displayed
    assert drawn[64, 64] > 200 and drawn[192, 64] < 50  # white on top, inside the box


def test_the_gallery_draws_a_photo_labelled_as_stored_as_stored(tmp_path):
    check = check_dataset(_coco(tmp_path, (20, 40), [2, 2, 16, 16]), ("train",))
    (item,) = draw_grid(check.scans["train"], 4)
    drawn = _drawn(item.data_uri)
    assert drawn.shape == (128, 256)
    assert drawn[64, 64] > 200 and drawn[64, 192] < 50


def test_a_voc_size_of_the_displayed_photo_is_followed(tmp_path):
    """Orientation 8 with ``<size>`` 20 x 40 (W x H): the box y 22..39 lies inside the
    displayed photo only."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    _photo(tmp_path / "JPEGImages" / "a.jpg", 8)
    box = "<bndbox><xmin>1</xmin><ymin>22</ymin><xmax>19</xmax><ymax>39</ymax></bndbox>"
    size = "<size><width>20</width><height>40</height><depth>3</depth></size>"
    xml = f"<annotation>{size}<object><name>cat</name>{box}</object></annotation>"
    (tmp_path / "Annotations" / "a.xml").write_text(xml)
    (tmp_path / "ImageSets" / "Main" / "trainval.txt").write_text("a\n")
    check = check_dataset({"format": "voc", "root": str(tmp_path)}, ("train",))
    assert _codes(check) == {"displayed_images": "info"}
    assert check.splits["train"]["kept_objects"] == 1
