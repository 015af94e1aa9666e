"""Instance masks of COCO data: polygons, compressed and uncompressed RLE (crowd), the shapes
dataset's RLEs, and the instances dropped (and counted) because their mask does not fit."""

import json
import logging

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from detseg.data import CocoDetection, remove_crowd
from detseg.data.shapes import generate_shapes
from detseg.data.target_checks import check_masks
from detseg.data.transforms import build_augmentations

W, H = 64, 48
BOX = [8.0, 6.0, 40.0, 36.0]  # xyxy px
POLYGON = [[8, 6, 40, 6, 40, 36, 8, 36]]  # the same rectangle


def _rle(mask: np.ndarray, compressed: bool = True) -> dict:
    """COCO RLE of a 0/1 ``[H, W]`` mask (counts str, or the uncompressed list of crowds)."""
    if compressed:
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode()}
    flat = mask.astype(np.uint8).flatten(order="F")  # column-major, as COCO counts run
    changes = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat[0] == 1:  # the counts start with a run of zeros
        counts = [0, *counts]
    return {"size": list(mask.shape), "counts": counts}


def _box_mask(box, shape=(H, W)) -> np.ndarray:
    x1, y1, x2, y2 = (int(v) for v in box)
    mask = np.zeros(shape, dtype=np.uint8)
    mask[y1:y2, x1:x2] = 1
    return mask


def _coco(root, anns) -> CocoDetection:
    (root / "images").mkdir(parents=True)
    rng = np.random.default_rng(0)
    assert cv2.imwrite(str(root / "images" / "a.png"), rng.integers(0, 256, (H, W, 3), np.uint8))
    data = {
        "images": [{"id": 1, "file_name": "a.png", "height": H, "width": W}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "thing"}],
    }
    (root / "ann.json").write_text(json.dumps(data))
    return CocoDetection(root / "images", root / "ann.json", load_masks=True)


def _ann(ann_id, box, segmentation=None, iscrowd=0):
    x1, y1, x2, y2 = box
    ann = {"id": ann_id, "image_id": 1, "category_id": 1, "bbox": [x1, y1, x2 - x1, y2 - y1]}
    ann.update({"area": (x2 - x1) * (y2 - y1), "iscrowd": iscrowd})
    if segmentation is not None:
        ann["segmentation"] = segmentation
    return ann


def test_polygons_compressed_and_uncompressed_rle_give_the_same_masks(tmp_path):
    disc = np.zeros((H, W), np.uint8)
    cv2.circle(disc, (50, 20), 8, 1, -1)  # inside x 42..58, y 12..28
    anns = [
        _ann(1, BOX, POLYGON),
        _ann(2, [42, 12, 59, 29], _rle(disc)),
        _ann(3, [42, 12, 59, 29], _rle(disc, compressed=False), iscrowd=1),
    ]
    _, target = _coco(tmp_path, anns)[0]
    masks = target["masks"]
    assert masks.dtype == torch.uint8 and masks.shape == (3, H, W)
    polygon = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(POLYGON, H, W)))
    assert np.array_equal(masks[0].numpy(), polygon)
    assert np.array_equal(masks[1].numpy(), disc) and np.array_equal(masks[2].numpy(), disc)
    assert target["iscrowd"].tolist() == [0, 0, 1] and target["dropped_boxes"] == 0
    assert target["area"].tolist() == [32 * 30, 17 * 17, 17 * 17]  # the json's areas
    crowd_free = remove_crowd(target)  # training drops the crowd region with its mask
    assert crowd_free["masks"].shape == (2, H, W)


def test_instances_whose_mask_does_not_fit_are_dropped_and_counted(tmp_path, caplog):
    outside = _box_mask([50, 40, 60, 46])  # a mask nowhere near its box
    anns = [
        _ann(1, BOX, POLYGON),  # good
        _ann(2, BOX, _rle(np.zeros((H, W)))),  # empty mask
        _ann(3, BOX, _rle(outside)),  # mask outside its box
        _ann(4, BOX, _rle(np.ones((H + 2, W)))),  # RLE of another size than the image
        _ann(5, BOX, [[1, 2]]),  # malformed polygon
        _ann(6, [0, 0, 0, 5], POLYGON),  # a bad box: dropped by the box check, counted once
    ]
    with caplog.at_level(logging.WARNING):
        _, target = _coco(tmp_path, anns)[0]
    assert target["boxes"].tolist() == [BOX] and target["masks"].shape == (1, H, W)
    assert target["dropped_boxes"] == 5
    text = caplog.text
    assert "annotation id 2 (image " in text  # the annotation to fix, then the image
    assert "a.png): dropped instance with box" in text and "its mask is empty" in text
    assert "only 0 of its mask's 60 pixels lie inside the box" in text
    assert "annotation 4 has an RLE of size [50, 64] but the image is 48x64" in text
    assert "annotation 5 has a malformed segmentation" in text
    # without masks the same instances are kept: only the bad box goes
    _, boxes_only = CocoDetection(tmp_path / "images", tmp_path / "ann.json")[0]
    assert boxes_only["boxes"].shape == (5, 4) and boxes_only["dropped_boxes"] == 1


def test_an_annotation_without_segmentation_gets_its_box_as_mask(tmp_path):
    _, target = _coco(tmp_path, [_ann(1, BOX)])[0]
    assert np.array_equal(target["masks"][0].numpy(), _box_mask(BOX))


def test_check_masks_on_hand_made_cases():
    masks = np.zeros((4, 10, 10), dtype=np.uint8)
    masks[0, 2:6, 2:6] = 1  # 16 px, all inside [2, 2, 6, 6]
    masks[1, 2:6, 2:10] = 1  # 32 px, 16 inside [2, 2, 6, 6]: exactly half, kept
    masks[2, 2:6, 2:10] = 1  # the same 16 of 32 inside [2.5, 2.5, 5.5, 5.5] (pixels 2..5)
    masks[3, 0:1, 0:10] = 1  # 10 px, none inside
    boxes = np.array([[2, 2, 6, 6], [2, 2, 6, 6], [2.5, 2.5, 5.5, 5.5], [2, 2, 6, 6]], np.float32)
    keep = np.array([True, True, True, True])
    assert check_masks(masks, boxes, keep).tolist() == [True, True, True, False]
    masks[1, 9, 9] = 1  # one more pixel outside: 16 of 33 inside, under half
    assert check_masks(masks, boxes, keep).tolist() == [True, False, True, False]
    not_checked = np.array([False, True, True, True])  # an instance already dropped stays so
    assert check_masks(masks, boxes, not_checked).tolist() == [False, False, True, False]
    empty = check_masks(np.zeros((0, 10, 10), np.uint8), np.zeros((0, 4)), np.zeros(0, bool))
    assert empty.shape == (0,)


def test_shapes_annotations_carry_rle_masks_that_load_as_instance_masks(tmp_path):
    generate_shapes(tmp_path, num_train=4, num_val=2, size=64, seed=1)
    coco = json.loads((tmp_path / "annotations/instances_train.json").read_text())
    assert coco["annotations"]
    for ann in coco["annotations"]:
        segmentation = ann["segmentation"]
        assert isinstance(segmentation["counts"], str) and segmentation["size"] == [64, 64]
        assert int(mask_utils.area(segmentation)) == ann["area"]
    dataset = CocoDetection(
        tmp_path / "train/images", tmp_path / "annotations/instances_train.json", load_masks=True
    )
    for i in range(len(dataset)):
        _, target = dataset[i]
        anns = [a for a in coco["annotations"] if a["image_id"] == dataset.image_ids[i]]
        assert target["dropped_boxes"] == 0 and len(target["masks"]) == len(anns)
        for mask, ann in zip(target["masks"], anns, strict=True):
            assert np.array_equal(mask.numpy(), mask_utils.decode(ann["segmentation"]))


@pytest.mark.parametrize("flip", [0.0, 1.0])
def test_masks_follow_a_flip_and_keep_their_box(tmp_path, flip):
    (tmp_path / "d").mkdir()
    dataset = _coco(tmp_path / "d", [_ann(1, BOX, POLYGON)])
    dataset.augmentations = build_augmentations([{"name": "HorizontalFlip", "p": flip}], seed=0)
    _, target = dataset[0]
    mask = target["masks"][0].numpy()
    ys, xs = np.nonzero(mask)
    x1, y1, x2, y2 = target["boxes"][0].tolist()
    assert xs.min() >= x1 and xs.max() < x2 and ys.min() >= y1 and ys.max() < y2
    polygon = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(POLYGON, H, W)))
    assert np.array_equal(mask, polygon[:, ::-1] if flip else polygon)
