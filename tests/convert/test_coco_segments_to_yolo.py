"""COCO -> YOLO with ``segments=True`` (``--segments``) writes Ultralytics segment lines
(``class x1 y1 x2 y2 ...``) from polygons and from RLE masks (their largest outline); without
it the labels stay boxes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from detseg.convert.datasets import convert_dataset
from detseg.data.yolo import YoloTxtDetection

_POLYGON = [10.0, 8.0, 50.0, 12.0, 40.0, 40.0, 12.0, 30.0]
_TWO_PARTS = [[2.0, 2.0, 10.0, 2.0, 6.0, 9.0], [50.0, 44.0, 60.0, 44.0, 55.0, 47.0]]


@pytest.fixture()
def coco_source(tmp_path):
    root = tmp_path / "coco"
    (root / "train" / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    Image.new("RGB", (64, 48)).save(root / "train" / "images" / "a.png")
    mask = np.zeros((48, 64), dtype=np.uint8, order="F")
    mask[20:30, 5:25] = 1
    rle = mask_utils.encode(np.asfortranarray(mask))
    rle["counts"] = rle["counts"].decode("ascii")
    anns = [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [10, 8, 40, 32],
            "iscrowd": 0,
            "segmentation": [_POLYGON],
        },
        {
            "id": 2,
            "image_id": 1,
            "category_id": 2,
            "bbox": [2, 2, 58, 45],
            "iscrowd": 0,
            "segmentation": _TWO_PARTS,
        },
        {
            "id": 3,
            "image_id": 1,
            "category_id": 1,
            "bbox": [5, 20, 20, 10],
            "iscrowd": 0,
            "segmentation": rle,
        },
        {"id": 4, "image_id": 1, "category_id": 2, "bbox": [30, 30, 5, 5], "iscrowd": 0},
    ]
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "p"}, {"id": 2, "name": "q"}],
    }
    (root / "annotations" / "instances_train.json").write_text(json.dumps(coco))
    return root


def _lines(root):
    return (root / "labels" / "train" / "a.txt").read_text().splitlines()


def test_without_the_flag_labels_are_boxes(coco_source, tmp_path):
    convert_dataset(coco_source, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [len(line.split()) for line in _lines(tmp_path / "yolo")] == [5, 5, 5, 5]


def test_segments_are_written_and_read_back_as_their_extents(coco_source, tmp_path):
    dst = tmp_path / "yolo"
    convert_dataset(coco_source, dst, "coco", "yolo", progress=False, segments=True)
    lines = [line.split() for line in _lines(dst)]
    assert [len(v) for v in lines][0] == 9 and len(lines[1]) > 9 and len(lines[2]) > 5
    assert len(lines[3]) == 5  # no segmentation: its box
    first = [float(v) for v in lines[0][1:]]
    np.testing.assert_allclose(first[0::2], np.array(_POLYGON[0::2]) / 64, atol=1e-7)
    dataset = YoloTxtDetection(dst / "images" / "train", classes=["p", "q"])
    boxes = dataset.annotations(0, (48, 64)).boxes
    np.testing.assert_allclose(boxes[0], [10, 8, 50, 40], atol=1e-4)  # polygon extent
    np.testing.assert_allclose(boxes[1], [2, 2, 60, 47], atol=1e-4)  # both parts
    np.testing.assert_allclose(boxes[2], [5, 20, 25, 30], atol=1e-4)  # the mask's own box
    np.testing.assert_allclose(boxes[3], [30, 30, 35, 35], atol=1e-4)


def test_an_rle_outline_has_the_mask_box_and_area(tmp_path):
    """The outline runs along the pixels' outer edges: its extent is pycocotools' box of the
    mask, its area the mask's pixel count, and pycocotools draws it back as the mask."""
    root = tmp_path / "coco"
    (root / "train" / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    Image.new("RGB", (40, 30)).save(root / "train" / "images" / "a.png")
    mask = np.zeros((30, 40), dtype=np.uint8)
    mask[5:20, 3:12] = 1  # an L: a concave corner, and a one-pixel step
    mask[15:20, 12:30] = 1
    mask[14, 29] = 1
    rle = mask_utils.encode(np.asfortranarray(mask))
    x, y, w, h = (float(v) for v in mask_utils.toBbox(rle))
    rle["counts"] = rle["counts"].decode("ascii")
    ann = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [x, y, w, h], "iscrowd": 0}
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 40, "height": 30}],
        "annotations": [{**ann, "segmentation": rle}],
        "categories": [{"id": 1, "name": "p"}],
    }
    (root / "annotations" / "instances_train.json").write_text(json.dumps(coco))
    convert_dataset(root, tmp_path / "yolo", "coco", "yolo", progress=False, segments=True)
    values = [float(v) for v in _lines(tmp_path / "yolo")[0].split()[1:]]
    xs, ys = np.array(values[0::2]) * 40, np.array(values[1::2]) * 30
    np.testing.assert_allclose([xs.min(), ys.min(), xs.max(), ys.max()], [x, y, x + w, y + h])
    area = abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))) / 2
    assert area == pytest.approx(float(mask_utils.area(rle)), abs=1e-3)
    polygon = [float(v) for point in zip(xs, ys, strict=True) for v in point]
    redrawn = mask_utils.decode(mask_utils.frPyObjects([polygon], 30, 40)[0])
    assert (redrawn != mask).sum() <= 2  # pycocotools' own polygon rounding at most


def test_segments_only_for_coco_to_yolo(coco_source, tmp_path):
    with pytest.raises(ValueError, match=r"--segments.*coco.*yolo"):
        convert_dataset(coco_source, tmp_path / "voc", "coco", "voc", segments=True)
    assert not (tmp_path / "voc").exists()
