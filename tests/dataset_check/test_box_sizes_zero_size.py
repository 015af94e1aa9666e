"""Zero-size boxes in the box sizes that anchor priors are fitted to: dropped (with crowd
regions) by ``dataset_box_sizes``, and a COCO json and a data file of the same data give the
same sizes."""

from __future__ import annotations

import json

import numpy as np
import torch
from PIL import Image

from detseg.data.anchor_kmeans import dataset_box_sizes
from detseg.dataset_check.box_sizes import training_box_sizes


def test_zero_size_and_crowd_boxes_are_left_out():
    image = torch.zeros(3, 50, 100)
    boxes = [[10, 10, 10, 20], [0, 0, 50, 25], [5, 5, 5, 5], [1, 1, 3, 3], [10, 10, 30, 10]]
    target = {
        "boxes": torch.tensor(boxes, dtype=torch.float32),
        "labels": torch.ones(5, dtype=torch.int64),
        "iscrowd": torch.tensor([0, 0, 0, 1, 0]),
    }
    only_zero = {"boxes": torch.tensor([[4.0, 4.0, 4.0, 9.0]]), "labels": torch.tensor([1])}
    sizes = dataset_box_sizes([(image, target), (image, only_zero), None], 100)
    assert sizes.dtype == torch.float64
    assert sizes.tolist() == [[50.0, 50.0]]  # 50x25 px of a 100x50 image, in 100x100 input
    assert dataset_box_sizes([(image, only_zero)], 100).shape == (0, 2)


def test_a_json_and_its_data_file_agree_on_zero_size_boxes(tmp_path):
    (tmp_path / "train" / "images").mkdir(parents=True)
    (tmp_path / "annotations").mkdir()
    Image.fromarray(np.zeros((50, 100, 3), np.uint8)).save(tmp_path / "train/images/a.png")
    bboxes = [[10, 10, 0, 10], [10, 10, 20, 0], [0, 0, 50, 25], [90, 40, 30, 30]]
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 50}],
        "annotations": [
            {"id": k, "image_id": 1, "category_id": 1, "bbox": b, "iscrowd": 0}
            for k, b in enumerate(bboxes, 1)
        ],
        "categories": [{"id": 1, "name": "x"}],
    }
    ann_file = tmp_path / "annotations" / "instances_train.json"
    ann_file.write_text(json.dumps(coco))
    data_file = tmp_path / "data.yaml"
    data_file.write_text(f"data:\n  format: coco\n  root: {tmp_path}\n")
    from_json = training_box_sizes(ann_file, 100)
    assert from_json.tolist() == [[50.0, 50.0], [10.0, 20.0]]  # the last clipped to 10x10 px
    assert torch.equal(training_box_sizes(data_file, 100), from_json)
