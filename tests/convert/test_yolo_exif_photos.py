"""Converting a YOLO dataset of tagged phone photos: YOLO labels refer to the image as displayed
(EXIF orientation applied, as Ultralytics and detseg's YOLO reader read it), so a COCO / VOC
output keeps the displayed image (stating its size where the reader follows it) and a YOLO
output is normalized to the displayed image, consistent with reading it back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from yolo_exif_photos import BOX, DISPLAYED_HW, yolo_photo

from detseg.config import load_data_file
from detseg.convert.datasets import convert_dataset
from detseg.convert.datasets.records import to_displayed_pixels
from detseg.data.image_io import apply_orientation
from detseg.data.registry import build_dataset


def _white_extent(image) -> list[float]:
    """``xyxy`` of the bright pixels of a ``[3, H, W]`` image in ``[0, 1]``."""
    ys, xs = np.nonzero(image.numpy().mean(axis=0) > 0.5)
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]


def _label_values(root: Path) -> list[float]:
    (line,) = (root / "labels" / "train" / "a.txt").read_text().splitlines()
    return [float(v) for v in line.split()]


def _read_back(root: Path):
    """``(image, target)`` of the first train image of a converted dataset, as training reads it."""
    return build_dataset(load_data_file(root / "data.yaml"), "train")[0]


@pytest.mark.parametrize("middle", ["coco", "voc"])
@pytest.mark.parametrize("orientation", [6, 8, 3])
def test_yolo_round_trip_keeps_the_labels_and_the_middle_reads_as_labelled(
    tmp_path, middle, orientation
):
    """A half turn (3) keeps the size, so COCO / VOC read it as stored: its boxes move there."""
    yolo_photo(tmp_path / "src", orientation)
    convert_dataset(tmp_path / "src", tmp_path / middle, "yolo", middle, progress=False)
    image, target = _read_back(tmp_path / middle)
    assert target["boxes"].tolist() == [pytest.approx(_white_extent(image), abs=1e-3)]
    if orientation in (6, 8):  # its stated displayed size tells the reader: read as displayed
        assert tuple(image.shape) == (3, *DISPLAYED_HW) and _white_extent(image) == list(BOX)
    convert_dataset(tmp_path / middle, tmp_path / "back", middle, "yolo", progress=False)
    assert _label_values(tmp_path / "back") == pytest.approx(
        _label_values(tmp_path / "src"), abs=1e-6
    )


def test_coco_output_states_the_displayed_size_of_a_quarter_turn(tmp_path):
    yolo_photo(tmp_path / "src", 6)
    convert_dataset(tmp_path / "src", tmp_path / "coco", "yolo", "coco", progress=False)
    coco = json.loads((tmp_path / "coco" / "annotations" / "instances_train.json").read_text())
    (entry,) = coco["images"]
    assert (entry["height"], entry["width"]) == DISPLAYED_HW
    (ann,) = coco["annotations"]
    assert ann["bbox"] == pytest.approx(
        [BOX[0], BOX[1], BOX[2] - BOX[0], BOX[3] - BOX[1]], abs=1e-3
    )


def test_a_square_photo_turned_a_quarter_converts_to_coco_in_its_stored_pixels(tmp_path):
    """COCO reads a square quarter-turned JPEG as stored (its stated size cannot tell)."""
    box = (2.0, 20.0, 10.0, 30.0)
    yolo_photo(tmp_path / "src", 6, displayed_hw=(32, 32), box=box)
    convert_dataset(tmp_path / "src", tmp_path / "coco", "yolo", "coco", progress=False)
    image, target = _read_back(tmp_path / "coco")
    (read,) = target["boxes"].tolist()
    assert read == pytest.approx(_white_extent(image), abs=1e-3)
    convert_dataset(tmp_path / "coco", tmp_path / "back", "coco", "yolo", progress=False)
    assert _label_values(tmp_path / "back") == pytest.approx(
        _label_values(tmp_path / "src"), abs=1e-6
    )


def test_coco_labelled_on_the_stored_pixels_gives_yolo_labels_of_the_displayed_image(tmp_path):
    """A COCO entry stating the stored size is read as stored; its YOLO output is normalized
    to the displayed image (Ultralytics' reading) and read back onto the same pixels."""
    yolo_photo(tmp_path / "src", 6)
    stored_h, stored_w = DISPLAYED_HW[1], DISPLAYED_HW[0]
    src = tmp_path / "coco"
    (src / "train" / "images").mkdir(parents=True)
    (src / "annotations").mkdir()
    (tmp_path / "src" / "images" / "train" / "a.jpg").rename(src / "train" / "images" / "a.jpg")
    with Image.open(src / "train" / "images" / "a.jpg") as stored:
        assert stored.size == (stored_w, stored_h)
    # orientation 6 shows stored (x, y) at (stored_h - y, x): the displayed BOX is stored here
    x1, y1, x2, y2 = BOX[1], stored_h - BOX[2], BOX[3], stored_h - BOX[0]
    coco = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": stored_w, "height": stored_h}],
        "categories": [{"id": 1, "name": "square"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 144.0,
             "bbox": [x1, y1, x2 - x1, y2 - y1]}
        ],
    }  # fmt: skip
    (src / "annotations" / "instances_train.json").write_text(json.dumps(coco))
    convert_dataset(src, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert _label_values(tmp_path / "yolo") == pytest.approx(
        _label_values(tmp_path / "src"), abs=1e-6
    )
    image, target = _read_back(tmp_path / "yolo")
    assert target["boxes"].tolist() == [pytest.approx(_white_extent(image), abs=1e-3)]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_displayed_pixels_follow_each_orientation(orientation):
    stored = np.zeros((5, 8), np.uint8)
    stored[1:3, 2:7] = 1  # the box (2, 1, 7, 3) of the stored pixels
    ys, xs = np.nonzero(apply_orientation(stored, orientation))
    corners = to_displayed_pixels((2.0, 1.0, 7.0, 3.0), orientation, 8, 5)
    assert (min(corners[0::2]), min(corners[1::2])) == (float(xs.min()), float(ys.min()))
    assert (max(corners[0::2]), max(corners[1::2])) == (float(xs.max() + 1), float(ys.max() + 1))
