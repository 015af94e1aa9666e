"""build_augmentations: boxes and masks follow the image; config errors are explicit."""

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from detseg.data import CocoDetection, build_augmentations
from detseg.data.transforms import apply_augmentations


def _marked_image():
    image = np.zeros((48, 64, 3), dtype=np.float32)
    image[6:36, 8:40] = 1.0  # the object, under box [8, 6, 40, 36]
    return image


def test_horizontal_flip_moves_box_image_and_mask():
    pipeline = build_augmentations([{"name": "HorizontalFlip", "p": 1.0}])
    image = _marked_image()
    masks = (image[None, :, :, 0] > 0).astype(np.uint8)
    out, boxes, kept, out_masks = apply_augmentations(
        pipeline, image, np.array([[8.0, 6.0, 40.0, 36.0]]), np.array([1]), masks
    )
    # x -> 64 - x: [8, 40] becomes [24, 56]
    np.testing.assert_allclose(boxes, [[24.0, 6.0, 56.0, 36.0]], atol=1e-4)
    assert kept.tolist() == [0]
    assert out[6:36, 24:56].min() == 1.0 and out.sum() == image.sum()
    assert np.array_equal(out_masks[0], out[:, :, 0] > 0)


def test_crop_drops_boxes_left_outside_and_reports_survivors():
    pipeline = build_augmentations(
        [{"name": "Crop", "x_min": 0, "y_min": 0, "x_max": 32, "y_max": 48}]
    )
    boxes = np.array([[40.0, 6.0, 60.0, 36.0], [8.0, 6.0, 40.0, 36.0], [31.5, 0.0, 50.0, 10.0]])
    out, new_boxes, kept, _ = apply_augmentations(
        pipeline, _marked_image(), boxes, np.array([1, 2, 3])
    )
    assert out.shape == (48, 32, 3)
    assert kept.tolist() == [1]  # the first is outside, the third keeps only 0.5 px of width
    np.testing.assert_allclose(new_boxes, [[8.0, 6.0, 32.0, 36.0]], atol=1e-4)


def test_empty_spec_is_none_and_negative_images_pass():
    assert build_augmentations([]) is None and build_augmentations(None) is None
    pipeline = build_augmentations([{"name": "RandomBrightnessContrast", "p": 1.0}])
    out, boxes, kept, masks = apply_augmentations(
        pipeline,
        _marked_image(),
        np.zeros((0, 4)),
        np.zeros(0, dtype=np.int64),
        np.zeros((0, 48, 64)),
    )
    assert out.dtype == np.float32 and boxes.shape == (0, 4) and kept.shape == (0,)
    assert masks.shape == (0, 48, 64)


def test_unknown_name_lists_close_names():
    with pytest.raises(ValueError, match="HorizontalFlip"):
        build_augmentations([{"name": "HorizontalFlp", "p": 0.5}])


def test_bad_arguments_name_the_transform():
    with pytest.raises(ValueError, match="HorizontalFlip.*'prob'.*'p'"):
        build_augmentations([{"name": "HorizontalFlip", "prob": 0.5}])
    with pytest.raises(ValueError, match="RandomBrightnessContrast"):
        build_augmentations([{"name": "RandomBrightnessContrast", "brightness_limit": "lots"}])
    with pytest.raises(ValueError, match="'name'"):
        build_augmentations([{"p": 0.5}])


def test_nested_one_of_builds():
    spec = [{"name": "OneOf", "p": 1.0, "transforms": [{"name": "HorizontalFlip", "p": 1.0}]}]
    pipeline = build_augmentations(spec)
    _, boxes, _, _ = apply_augmentations(
        pipeline, _marked_image(), np.array([[8.0, 6.0, 40.0, 36.0]]), np.array([1])
    )
    np.testing.assert_allclose(boxes, [[24.0, 6.0, 56.0, 36.0]], atol=1e-4)
    with pytest.raises(ValueError, match=r"augmentations\[0\]\.OneOf\[0\].*VerticalFlip"):
        build_augmentations([{"name": "OneOf", "transforms": [{"name": "VerticalFlp"}]}])


def test_dataset_applies_augmentations_to_all_target_fields(tmp_path):
    (tmp_path / "images").mkdir()
    assert cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((48, 64, 3), np.uint8))
    square = {"segmentation": [[8, 6, 40, 6, 40, 36, 8, 36]], "bbox": [8, 6, 32, 30]}
    strip = {"segmentation": [[44, 0, 60, 0, 60, 10, 44, 10]], "bbox": [44, 0, 16, 10]}
    anns = [
        {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 5.0, **square},
        {"id": 2, "image_id": 1, "category_id": 2, "iscrowd": 1, "area": 7.0, **strip},
    ]
    data = {
        "images": [{"id": 1, "file_name": "a.png", "height": 48, "width": 64}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
    }
    (tmp_path / "ann.json").write_text(json.dumps(data))
    crop = build_augmentations(
        [{"name": "Crop", "x_min": 32, "y_min": 0, "x_max": 64, "y_max": 48}]
    )
    dataset = CocoDetection(
        tmp_path / "images", tmp_path / "ann.json", augmentations=crop, load_masks=True
    )
    image, target = dataset[0]
    assert image.shape == (3, 48, 32) and target["masks"].shape == (2, 48, 32)
    assert torch.allclose(
        target["boxes"], torch.tensor([[0.0, 6.0, 8.0, 36.0], [12.0, 0.0, 28.0, 10.0]])
    )
    assert target["labels"].tolist() == [1, 2] and target["iscrowd"].tolist() == [0, 1]
    # after a geometric augmentation the area is the mask area that is left
    assert target["area"].tolist() == target["masks"].flatten(1).sum(1).float().tolist()
    assert target["masks"][1].sum() > 0


@pytest.mark.parametrize("task", ["detection", "segmentation"])
def test_a_seeded_pipeline_gives_each_transform_its_own_stream(task):
    """Compose(seed=s) alone seeds every transform alike (flip <=> brightness change)."""
    from detseg.data.seg_transforms import build_segmentation_augmentations

    build = build_augmentations if task == "detection" else build_segmentation_augmentations
    spec = [
        {"name": "HorizontalFlip", "p": 0.5},
        {"name": "OneOf", "transforms": [{"name": "VerticalFlip"}, {"name": "Transpose"}]},
        {"name": "RandomBrightnessContrast", "p": 0.5},
    ]
    first = [t.py_random.random() for t in _preorder(build(spec, seed=7))]
    assert len(first) == 5 and len(set(first)) == 5
    assert [t.py_random.random() for t in _preorder(build(spec, seed=7))] == first
    assert [t.py_random.random() for t in _preorder(build(spec, seed=8))] != first


def _preorder(pipeline):
    found = []
    for transform in pipeline.transforms:
        found.append(transform)
        found.extend(_preorder(transform) if hasattr(transform, "transforms") else [])
    return found


def test_albumentations_is_imported_without_its_network_version_check():
    code = (
        "import os, sys\n"
        "os.environ.pop('NO_ALBUMENTATIONS_UPDATE', None)\n"
        "import detseg.data.transforms\n"
        "assert 'albumentations' in sys.modules\n"
        "print(os.environ['NO_ALBUMENTATIONS_UPDATE'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "NO_ALBUMENTATIONS_UPDATE"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == "1"
