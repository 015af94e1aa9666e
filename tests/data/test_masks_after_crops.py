"""Instance masks and boxes stay consistent after crops and translations.

A crop moves a box by its corners and clips it to the image; the object's mask may no longer
reach the kept part of the box, or be gone altogether. The box must then follow the mask, and
an instance whose mask is gone must be dropped with its label, iscrowd and area.
"""

import json

import cv2
import numpy as np
import pytest

from detseg.data import CocoDetection
from detseg.data.transforms import apply_augmentations, build_augmentations

H, W = 48, 64


def _extent(mask: np.ndarray) -> np.ndarray:
    """``xyxy`` pixel-edge extent of a non-empty ``[H, W]`` mask."""
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=np.float32)


def _write_coco(root, polygons, categories, crowd):
    (root / "images").mkdir()
    assert cv2.imwrite(str(root / "images" / "a.png"), np.zeros((H, W, 3), np.uint8))
    anns = []
    for i, (poly, cat, iscrowd) in enumerate(zip(polygons, categories, crowd, strict=True)):
        xs, ys = poly[0::2], poly[1::2]
        bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        anns.append(
            {"id": i + 1, "image_id": 1, "category_id": cat, "iscrowd": iscrowd,
             "area": 1.0, "bbox": bbox, "segmentation": [poly]}
        )  # fmt: skip
    data = {
        "images": [{"id": 1, "file_name": "a.png", "height": H, "width": W}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
    }
    (root / "ann.json").write_text(json.dumps(data))


def test_crop_fits_boxes_to_masks_and_drops_instances_whose_mask_is_gone(tmp_path):
    # A: triangle (0,0)-(40,0)-(0,40); the crop keeps the corner of its box the mask misses.
    # B: triangle (0,30)-(40,30)-(0,47); the crop keeps its thin end: the box must shrink.
    # C: a square inside the crop; unchanged (shifted).
    polygons = [
        [0, 0, 40, 0, 0, 40],
        [0, 30, 40, 30, 0, 47],
        [44, 28, 60, 28, 60, 44, 44, 44],
    ]
    _write_coco(tmp_path, polygons, categories=[1, 2, 1], crowd=[0, 1, 0])
    crop = build_augmentations(
        [{"name": "Crop", "x_min": 20, "y_min": 24, "x_max": 64, "y_max": 48}]
    )
    dataset = CocoDetection(
        tmp_path / "images", tmp_path / "ann.json", augmentations=crop, load_masks=True
    )
    image, target = dataset[0]
    assert image.shape == (3, 24, 44)
    # A (empty mask after the crop) is dropped with its label and iscrowd; B and C stay in order
    assert target["labels"].tolist() == [2, 1]
    assert target["iscrowd"].tolist() == [1, 0]
    assert len(target["boxes"]) == len(target["masks"]) == len(target["area"]) == 2
    boxes, masks = target["boxes"].numpy(), target["masks"].numpy()
    for box, mask in zip(boxes, masks, strict=True):
        assert mask.sum() > 0
        assert np.abs(box - _extent(mask)).max() <= 1.0, (box, _extent(mask))
    # B's box keeps its left/top/right sides but no longer reaches the bottom of the crop
    assert boxes[0][3] < 17.0
    np.testing.assert_allclose(boxes[1], [24.0, 4.0, 40.0, 20.0], atol=1e-4)
    assert target["area"].tolist() == masks.reshape(2, -1).sum(1).astype(np.float32).tolist()


@pytest.mark.parametrize(
    "spec",
    [
        [{"name": "RandomCrop", "height": 40, "width": 40}],
        [{"name": "Affine", "scale": [0.8, 1.2], "translate_percent": [-0.3, 0.3], "p": 1.0}],
        [{"name": "RandomSizedCrop", "min_max_height": [20, 60], "size": [50, 50]}],
    ],
    ids=["RandomCrop", "Affine", "RandomSizedCrop"],
)
def test_random_triangles_keep_box_and_mask_consistent(spec):
    """Property: every kept instance has a mask, and its box lies on the mask's extent."""
    rng = np.random.default_rng(0)
    pipeline = build_augmentations(spec, seed=1)
    for _ in range(60):
        masks = np.zeros((4, 80, 80), np.uint8)
        for m in masks:
            points = rng.integers(0, 80, (3, 2))
            points[1] = points[0] + [rng.integers(5, 40), 0]  # never degenerate
            points[2] = points[0] + [0, rng.integers(5, 40)]
            cv2.fillPoly(m, [points.clip(0, 79).astype(np.int32)], 1)
        boxes = np.stack([_extent(m) for m in masks])
        image = rng.random((80, 80, 3)).astype(np.float32)
        out, new_boxes, kept, new_masks = apply_augmentations(
            pipeline, image, boxes, np.arange(1, 5), masks
        )
        assert len(new_boxes) == len(kept) == len(new_masks)
        assert new_masks.shape[1:] == out.shape[:2]
        for box, mask in zip(new_boxes, new_masks, strict=True):
            assert mask.any()
            assert box[0] < box[2] and box[1] < box[3]
            assert np.abs(box - _extent(mask)).max() <= 1.5, (box, _extent(mask))


def test_fit_boxes_to_masks_only_shrinks_and_tolerates_a_pixel():
    from detseg.data.transforms import fit_boxes_to_masks

    masks = np.zeros((3, 20, 20), np.uint8)
    masks[0, 5:10, 5:10] = 1  # extent [5, 5, 10, 10]
    masks[1, 2:4, 2:4] = 1  # extent [2, 2, 4, 4]
    boxes = np.array(
        [[4.4, 5.2, 10.9, 9.5], [0.0, 0.0, 12.0, 3.5], [1.0, 1.0, 5.0, 5.0]], np.float32
    )
    fitted, keep = fit_boxes_to_masks(boxes, masks)
    np.testing.assert_allclose(fitted[0], boxes[0])  # within 1 px: the annotation's box stays
    np.testing.assert_allclose(fitted[1], [2.0, 2.0, 4.0, 3.5])  # never grows
    assert keep.tolist() == [True, True, False]  # instance 2 has an empty mask
