"""build_loader: Batch drops unreadable images and counts them and the dropped boxes."""

import json

import cv2
import numpy as np
import pytest
import torch

from detseg.data import Batch, CocoDetection, build_augmentations, build_loader


def _dataset(tmp_path, augmentations=None):
    (tmp_path / "images").mkdir()
    names = ["a.png", "b.png", "c.png", "d.png"]
    for name in names:
        assert cv2.imwrite(str(tmp_path / "images" / name), np.full((24, 32, 3), 90, np.uint8))
    (tmp_path / "images" / "c.png").write_bytes(b"not an image")
    anns = [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 10], "iscrowd": 0},
        {"id": 2, "image_id": 1, "category_id": 1, "bbox": [2, 2, 0, 10], "iscrowd": 0},  # dropped
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [40, 2, 5, 5], "iscrowd": 0},  # dropped
        {
            "id": 4,
            "image_id": 3,
            "category_id": 1,
            "bbox": [1, 1, 5, 5],
            "iscrowd": 0,
        },  # c: unreadable
    ]
    images = [{"id": i + 1, "file_name": n, "height": 24, "width": 32} for i, n in enumerate(names)]
    data = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "x"}]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    return CocoDetection(tmp_path / "images", tmp_path / "ann.json", augmentations=augmentations)


@pytest.mark.parametrize("num_workers", [0, 1])
def test_batch_counts_skipped_images_and_dropped_boxes(tmp_path, num_workers):
    loader = build_loader(_dataset(tmp_path), batch_size=4, shuffle=False, num_workers=num_workers)
    (batch,) = list(loader)
    assert isinstance(batch, Batch)
    assert batch.skipped_images == 1 and batch.dropped_boxes == 2
    assert len(batch.images) == len(batch.targets) == 3
    assert batch.image_ids == [1, 2, 4]
    assert [t["boxes"].shape[0] for t in batch.targets] == [1, 0, 0]
    assert all(img.shape == (3, 24, 32) for img in batch.images)


def test_batch_of_only_unreadable_images_is_empty_but_counted(tmp_path):
    dataset = _dataset(tmp_path)
    subset = torch.utils.data.Subset(dataset, [2])
    (batch,) = list(build_loader(subset, batch_size=1, shuffle=False))
    assert len(batch) == 0 and batch.skipped_images == 1


def test_seeded_loader_repeats_order_and_augmentations(tmp_path):
    aug = build_augmentations(
        [{"name": "HorizontalFlip", "p": 0.5}, {"name": "RandomBrightnessContrast", "p": 1.0}]
    )
    dataset = _dataset(tmp_path, aug)

    def run():
        loader = build_loader(dataset, batch_size=2, shuffle=True, seed=123)
        return [(b.image_ids, [img.sum().item() for img in b.images]) for b in loader]

    first, second = run(), run()
    assert first == second
    assert len({v for _, sums in first for v in sums}) > 1  # brightness really varies


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        build_loader([], batch_size=0, shuffle=False)
    with pytest.raises(ValueError, match="sampler"):
        build_loader(
            [1], batch_size=1, shuffle=True, sampler=torch.utils.data.SequentialSampler([1])
        )


def test_batch_to_moves_tensors():
    batch = Batch([torch.zeros(3, 2, 2)], [{"boxes": torch.zeros(0, 4), "dropped_boxes": 3}], 1, 3)
    moved = batch.to("cpu")
    assert moved.targets[0]["dropped_boxes"] == 3 and moved.skipped_images == 1
