"""COCO polygons without area (collinear or repeated points) and with coordinates pycocotools
cannot rasterise (NaN, infinity, huge, not numbers): the instance is dropped and counted, and
one warning names the file and the annotation id instead of a silent empty mask or a crash."""

import json
import logging

import cv2
import numpy as np
import pytest

from detseg.data import CocoDetection
from detseg.data.coco_masks import decode_segmentation
from detseg.data.coco_seg import CocoSegmentation

H, W = 48, 64
SQUARE = [10, 10, 30, 10, 30, 30, 10, 30]  # 20 x 20 px
FLAT = {
    11: [[10, 10, 20, 20, 30, 30]],  # collinear, diagonal
    12: [[10, 10, 30, 10, 30, 10]],  # repeated point: a segment
    13: [[5, 5, 5, 5, 5, 5]],  # one point
    14: [[10, 10, 10, 20, 10, 30], [12, 10, 12, 30, 12, 20]],  # two flat parts
}


def _write_coco(root, segmentations):
    (root / "images").mkdir()
    assert cv2.imwrite(str(root / "images" / "a.png"), np.zeros((H, W, 3), np.uint8))
    anns = [
        {
            "id": ann_id,
            "image_id": 1,
            "category_id": 1,
            "iscrowd": 0,
            "area": 400.0,
            "bbox": [10, 10, 20, 20],
            "segmentation": segmentation,
        }  # fmt: skip
        for ann_id, segmentation in segmentations.items()
    ]
    data = {
        "images": [{"id": 1, "file_name": "a.png", "height": H, "width": W}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "a"}],
    }
    (root / "ann.json").write_text(json.dumps(data))


def _coco_warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "detseg.data.coco_masks"]


def test_flat_polygons_are_dropped_counted_and_named(tmp_path, caplog):
    _write_coco(tmp_path, {1: [SQUARE], **FLAT})
    dataset = CocoDetection(tmp_path / "images", tmp_path / "ann.json", load_masks=True)
    with caplog.at_level(logging.WARNING, logger="detseg.data.coco_masks"):
        _, target = dataset[0]
    assert target["masks"].shape == (1, H, W) and int(target["masks"][0].sum()) == 400
    assert target["dropped_boxes"] == len(FLAT)
    messages = _coco_warnings(caplog)
    assert len(messages) == len(FLAT)
    for ann_id, message in zip(FLAT, messages, strict=True):
        assert f"annotation {ann_id} has a flat polygon" in message
        assert str(tmp_path / "images" / "a.png") in message


def test_semantic_reader_names_a_flat_polygon_it_cannot_paint(tmp_path, caplog):
    _write_coco(tmp_path, {1: [SQUARE], 12: FLAT[12]})
    with caplog.at_level(logging.WARNING, logger="detseg.data.coco_masks"):
        _, label_map = CocoSegmentation(tmp_path / "images", tmp_path / "ann.json")[0]
    assert int((label_map == 1).sum()) == 400
    assert any("annotation 12 has a flat polygon" in m for m in _coco_warnings(caplog))


def test_thin_but_not_flat_and_bow_tie_polygons_keep_their_masks(tmp_path, caplog):
    thin = [[10, 10, 30, 10, 30, 11]]  # a sliver of area 10 px²
    bow_tie = [[0, 0, 10, 10, 10, 0, 0, 10]]  # signed area 0, but it covers pixels
    with caplog.at_level(logging.WARNING, logger="detseg.data.coco_masks"):
        for segmentation in (thin, bow_tie):
            ann = {"id": 3, "segmentation": segmentation}
            assert decode_segmentation(ann, H, W, tmp_path / "a.png").any()
    assert not _coco_warnings(caplog)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 1e12, "12", True, None])
def test_a_coordinate_pycocotools_cannot_rasterise_is_a_named_malformed_segmentation(
    tmp_path, caplog, bad
):
    """NaN, infinity or 1e12 made pycocotools crash the process (segmentation fault or out of
    memory); Python's json reads NaN and Infinity."""
    ann = {"id": 21, "segmentation": [[10, 10, 30, bad, 30, 30, 10, 30]]}
    with caplog.at_level(logging.WARNING, logger="detseg.data.coco_masks"):
        mask = decode_segmentation(ann, H, W, tmp_path / "a.png")
    assert mask.shape == (H, W) and not mask.any()
    (message,) = _coco_warnings(caplog)
    assert "annotation 21 has a malformed segmentation" in message
    assert "polygon coordinate" in message and "fix its segmentation" in message


def test_a_polygon_without_its_enclosing_list_is_named_as_such(tmp_path, caplog):
    ann = {"id": 31, "segmentation": SQUARE}  # [x1, y1, ...] instead of [[x1, y1, ...]]
    with caplog.at_level(logging.WARNING, logger="detseg.data.coco_masks"):
        assert not decode_segmentation(ann, H, W, tmp_path / "a.png").any()
    (message,) = _coco_warnings(caplog)
    assert "annotation 31" in message and "[[x1, y1, x2, y2, ...]]" in message
