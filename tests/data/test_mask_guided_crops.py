"""A crop placed on a mask (``CropNonEmptyMaskIfExists``) works on every detection sample.

The library's transform raises ``RuntimeError: Can not find mask`` when a sample has no mask,
which a detection sample lacks when it has no instance masks (``load_masks`` off) or no object
at all (a negative image). detseg then gives it the boxes painted into one mask: a random crop
for a negative image, a crop on an object otherwise.
"""

import json

import cv2
import numpy as np
import pytest

from detseg.data import CocoDetection
from detseg.data.transforms import apply_augmentations, box_mask, build_augmentations

H, W = 60, 80
SPEC = [{"name": "CropNonEmptyMaskIfExists", "height": 40, "width": 40}]


def _image() -> np.ndarray:
    return np.random.default_rng(0).random((H, W, 3)).astype(np.float32)


@pytest.mark.parametrize("masks", [None, np.zeros((0, H, W), np.uint8)])
def test_image_without_objects_gets_a_random_crop(masks):
    pipeline = build_augmentations(SPEC, seed=0)
    no_boxes, no_labels = np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    image, boxes, kept, new_masks = apply_augmentations(
        pipeline, _image(), no_boxes, no_labels, masks
    )
    assert image.shape == (40, 40, 3)
    assert boxes.shape == (0, 4) and kept.shape == (0,)
    if masks is not None:
        assert new_masks is not None and new_masks.shape == (0, 40, 40)


def test_boxes_without_masks_guide_the_crop():
    box = np.array([[64.0, 46.0, 72.0, 54.0]], np.float32)  # far from the top-left corner
    for seed in range(20):
        pipeline = build_augmentations(SPEC, seed=seed)
        image, boxes, kept, _ = apply_augmentations(pipeline, _image(), box, np.array([1]))
        assert image.shape == (40, 40, 3)
        assert kept.tolist() == [0], f"seed {seed}: the crop missed the only object"
        assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()


def test_box_mask_covers_the_pixels_of_each_box():
    mask = box_mask(np.array([[1.5, 2.0, 3.0, 4.2], [-5.0, 58.5, 2.0, 70.0]]), (H, W))
    expected = np.zeros((H, W), np.uint8)
    expected[2:5, 1:3] = 1
    expected[58:60, 0:2] = 1
    np.testing.assert_array_equal(mask, expected)
    assert not box_mask(np.zeros((0, 4)), (H, W)).any()


def test_coco_negative_image_with_masks(tmp_path):
    (tmp_path / "images").mkdir()
    for name in ("a.png", "b.png"):
        assert cv2.imwrite(str(tmp_path / "images" / name), np.zeros((H, W, 3), np.uint8))
    data = {
        "images": [
            {"id": 1, "file_name": "a.png", "height": H, "width": W},
            {"id": 2, "file_name": "b.png", "height": H, "width": W},
        ],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "iscrowd": 0,
                "area": 64.0,
                "bbox": [60, 40, 8, 8],
                "segmentation": [[60, 40, 68, 40, 68, 48, 60, 48]],
            }
        ],  # fmt: skip
        "categories": [{"id": 1, "name": "a"}],
    }
    (tmp_path / "ann.json").write_text(json.dumps(data))
    for load_masks in (True, False):
        dataset = CocoDetection(
            tmp_path / "images",
            tmp_path / "ann.json",
            augmentations=build_augmentations(SPEC, seed=0),
            load_masks=load_masks,
        )
        image, target = dataset[1]  # the image without objects
        assert tuple(image.shape) == (3, 40, 40)
        assert len(target["boxes"]) == 0
        image, target = dataset[0]
        assert tuple(image.shape) == (3, 40, 40)
        assert target["labels"].tolist() == [1]
        if load_masks:
            assert tuple(target["masks"].shape) == (1, 40, 40)
            assert float(target["area"][0]) == float(target["masks"].sum())
