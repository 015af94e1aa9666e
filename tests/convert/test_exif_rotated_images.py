"""A JPEG whose EXIF orientation turns it a quarter (5..8) and whose COCO / VOC annotation
states the displayed size is read as displayed by training: converted, its boxes must still
cover the same pixels as training reads the converted dataset (COCO and VOC keep the displayed
size; YOLO, which states no size and is read as displayed, keeps the displayed boxes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detseg.config import load_data_file
from detseg.convert.datasets import convert_dataset
from detseg.convert.datasets.records import ImageRecord, to_stored_pixels
from detseg.data.image_io import apply_orientation
from detseg.data.registry import build_dataset

#: The displayed image is 24 wide and 40 high; the white square is its object (xyxy px).
DISPLAYED_HW, BOX = (40, 24), (4.0, 22.0, 14.0, 34.0)


def _rotated_coco(root: Path) -> None:
    """A COCO train split of one JPEG stored 40 x 24 (W x H) with EXIF orientation 6 (shown
    turned a quarter clockwise, 24 x 40), annotated on the displayed image."""
    displayed = np.zeros((*DISPLAYED_HW, 3), np.uint8)
    x1, y1, x2, y2 = (int(v) for v in BOX)
    displayed[y1:y2, x1:x2] = 255
    stored = np.ascontiguousarray(displayed[:, ::-1].swapaxes(0, 1))  # undoes orientation 6
    (root / "train" / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(root / "train" / "images" / "a.jpg", quality=100, exif=exif)
    height, width = DISPLAYED_HW
    coco = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": width, "height": height}],
        "categories": [{"id": 1, "name": "square"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "iscrowd": 0,
                "area": 120.0,
                "bbox": [BOX[0], BOX[1], BOX[2] - BOX[0], BOX[3] - BOX[1]],
            }
        ],
    }
    (root / "annotations" / "instances_train.json").write_text(json.dumps(coco))


def _white_extent(image) -> list[float]:
    """``xyxy`` of the bright pixels of a ``[3, H, W]`` image in ``[0, 1]``."""
    ys, xs = np.nonzero(image.numpy().mean(axis=0) > 0.5)
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]


@pytest.mark.parametrize("formats", [["voc"], ["yolo"], ["voc", "coco"], ["voc", "yolo"]])
def test_converted_boxes_cover_the_same_pixels_as_training_reads_them(tmp_path, formats):
    _rotated_coco(tmp_path / "coco_src")
    source = build_dataset({"format": "coco", "root": str(tmp_path / "coco_src")}, "train")
    image, labels = source[0]
    assert labels["boxes"].tolist() == [list(BOX)] == [_white_extent(image)]
    src, src_format = tmp_path / "coco_src", "coco"
    for target in formats:
        convert_dataset(src, tmp_path / target, src_format, target, progress=False)
        src, src_format = tmp_path / target, target
    section = load_data_file(src / "data.yaml")
    image, labels = build_dataset(section, "train")[0]
    (box,) = labels["boxes"].tolist()
    assert box == pytest.approx(_white_extent(image), abs=1e-3)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_stored_pixels_undo_each_orientation(orientation):
    stored = np.zeros((5, 8), np.uint8)
    stored[1:3, 2:7] = 1  # the box (2, 1, 7, 3) of the stored pixels
    displayed = apply_orientation(stored, orientation)
    ys, xs = np.nonzero(displayed)
    box = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
    image = ImageRecord(Path("a.jpg"), "a.jpg", displayed.shape[1], displayed.shape[0])
    image.orientation = orientation
    corners = to_stored_pixels(box, image)
    assert (min(corners[0::2]), min(corners[1::2])) == (2.0, 1.0)
    assert (max(corners[0::2]), max(corners[1::2])) == (7.0, 3.0)
