"""The boxes the k-means priors are fitted to are those a training run reads: crowd regions
left out, boxes clipped to their image, malformed or tiny boxes dropped, on every source."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from detseg.data.anchor_kmeans import coco_box_sizes, dataset_box_sizes, kmeans_anchors
from detseg.dataset_check.box_sizes import training_box_sizes


def _write_dataset(root: Path, annotations: list[dict], width: int = 100, height: int = 50):
    (root / "train" / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    Image.fromarray(np.zeros((height, width, 3), dtype=np.uint8)).save(
        root / "train" / "images" / "a.png"
    )
    data = {
        "images": [{"id": 1, "width": width, "height": height, "file_name": "a.png"}],
        "annotations": [
            {"id": i + 1, "image_id": 1, "category_id": 1, **ann}
            for i, ann in enumerate(annotations)
        ],
        "categories": [{"id": 1, "name": "thing"}],
    }
    ann_file = root / "annotations" / "instances_train.json"
    ann_file.write_text(json.dumps(data))
    return ann_file


ANNOTATIONS = [
    {"bbox": [10, 10, 20, 10]},  # inside: 20 x 10
    {"bbox": [90, 40, 30, 30]},  # over the bottom-right corner: clipped to 10 x 10
    {"bbox": [-5, 0, 15, 20]},  # over the left side: clipped to 10 x 20
    {"bbox": [0, 0, 60, 40], "iscrowd": 1},  # a crowd region: no target in training
    {"bbox": [99.5, 10, 10, 10]},  # 0.5 px wide once clipped: dropped
    {"bbox": [200, 10, 10, 10]},  # outside the image: dropped
    {"bbox": [10, 10, "wide", 10]},  # malformed: dropped
]
EXPECTED = torch.tensor([[20.0, 10.0], [10.0, 10.0], [10.0, 20.0]], dtype=torch.float64)


def _sorted(sizes: torch.Tensor) -> torch.Tensor:
    return sizes[(sizes[:, 0] * 1000 + sizes[:, 1]).argsort()]


def test_coco_json_boxes_are_clipped_and_filtered_as_training_reads_them(tmp_path):
    ann_file = _write_dataset(tmp_path / "data", ANNOTATIONS)
    sizes = coco_box_sizes(ann_file, 100)  # 100 x 50 image -> 100 x 100 input: h doubles
    expected = EXPECTED * torch.tensor([1.0, 2.0], dtype=torch.float64)
    torch.testing.assert_close(sizes, expected)


def test_a_json_and_a_data_file_of_the_same_dataset_give_the_same_boxes(tmp_path):
    root = tmp_path / "data"
    ann_file = _write_dataset(root, ANNOTATIONS)
    data_file = tmp_path / "data.yaml"
    data_file.write_text(yaml.safe_dump({"data": {"format": "coco", "root": str(root)}}))
    from_json = training_box_sizes(ann_file, 64)
    from_dataset = training_box_sizes(data_file, 64)
    torch.testing.assert_close(_sorted(from_dataset), _sorted(from_json))


def test_crowd_targets_of_samples_are_left_out():
    image = torch.zeros(3, 50, 100)
    target = {
        "boxes": torch.tensor([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 60.0, 40.0]]),
        "iscrowd": torch.tensor([0, 1]),
    }
    sizes = dataset_box_sizes([(image, target), None], 100)
    torch.testing.assert_close(sizes, torch.tensor([[10.0, 20.0]], dtype=torch.float64))


@pytest.mark.parametrize("side", [0, -10, "wide", None, True])
def test_an_image_size_that_is_no_positive_number_is_one_clear_error(tmp_path, side):
    ann_file = tmp_path / "ann.json"
    data = {
        "images": [{"id": 1, "width": side, "height": 50, "file_name": "a.png"}],
        "annotations": [{"id": 1, "image_id": 1, "bbox": [0, 0, 10, 10], "category_id": 1}],
    }
    ann_file.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"ann\.json: image .* both must be numbers > 0"):
        coco_box_sizes(ann_file, 100)


def test_non_finite_boxes_are_dropped_and_refused(tmp_path):
    ann_file = tmp_path / "ann.json"
    ann_file.write_text(
        '{"images": [{"id": 1, "width": 100, "height": 100}], "annotations": ['
        '{"id": 1, "image_id": 1, "bbox": [0, 0, Infinity, 10]},'
        '{"id": 2, "image_id": 1, "bbox": [0, 0, NaN, 10]},'
        '{"id": 3, "image_id": 1, "bbox": [0, 0, 5, 10]}]}'
    )
    torch.testing.assert_close(
        coco_box_sizes(ann_file, 100), torch.tensor([[5.0, 10.0]], dtype=torch.float64)
    )
    with pytest.raises(ValueError, match="finite and > 0"):
        kmeans_anchors(torch.tensor([[1.0, 2.0], [float("inf"), 3.0]]), k=2)
