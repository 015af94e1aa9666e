"""k-means YOLO priors (1 - IoU distance) and the box sizes they cluster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from detseg.convert.datasets import convert_dataset
from detseg.data.anchor_kmeans import anchors_yaml, coco_box_sizes, kmeans_anchors
from detseg.data.shapes import generate_shapes
from detseg.dataset_check.box_sizes import training_box_sizes

REPO = Path(__file__).resolve().parents[2]
SIZES = torch.tensor([[10.0, 20.0], [60.0, 30.0], [150.0, 160.0]], dtype=torch.float64)


def _three_size_boxes(n_per: int = 200, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    noise = 1 + 0.05 * torch.randn(3 * n_per, 2, generator=generator, dtype=torch.float64)
    return SIZES.repeat_interleave(n_per, dim=0) * noise


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kmeans_recovers_three_sizes(seed):
    boxes = _three_size_boxes()
    result = kmeans_anchors(boxes, k=3, seed=seed)
    # sorted by area: (10, 20) < (60, 30) < (150, 160); the noise has mean 1
    torch.testing.assert_close(result.anchors, SIZES, rtol=0.02, atol=0)
    # the three groups are far apart: each prior ends as the mean size of its own group
    means = boxes.view(3, -1, 2).mean(dim=1)
    torch.testing.assert_close(result.anchors, means, rtol=1e-12, atol=0)
    inter = torch.minimum(boxes[:, None], means[None]).prod(dim=2)  # [N, 3]
    iou = inter / (boxes.prod(dim=1)[:, None] + means.prod(dim=1)[None] - inter)
    assert result.mean_best_iou == pytest.approx(iou.amax(dim=1).mean().item(), abs=1e-12)
    assert result.mean_best_iou > 0.85


def test_kmeans_exact_sizes_give_iou_one():
    result = kmeans_anchors(SIZES.repeat(5, 1), k=3)
    torch.testing.assert_close(result.anchors, SIZES)
    assert result.mean_best_iou == pytest.approx(1.0)


def test_kmeans_input_checks():
    with pytest.raises(ValueError, match="at least k=4"):
        kmeans_anchors(SIZES, k=4)
    with pytest.raises(ValueError, match="> 0"):
        kmeans_anchors(torch.tensor([[1.0, 0.0], [2.0, 2.0]]), k=1)


def test_anchors_yaml_groups_per_level():
    text = anchors_yaml(torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.25, 8.0]]), 2)
    assert text.splitlines() == [
        "anchors:",
        "  - [[1.0, 2.0], [3.0, 4.0]]  # level 0",
        "  - [[5.0, 6.0], [7.2, 8.0]]  # level 1",
    ]
    # per_level 1, the smallest accepted: one prior a level
    assert anchors_yaml(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), 1).splitlines() == [
        "anchors:",
        "  - [[1.0, 2.0]]  # level 0",
        "  - [[3.0, 4.0]]  # level 1",
    ]


def test_anchors_yaml_refuses_an_uneven_last_level():
    four = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    with pytest.raises(ValueError, match="k 4 is not a multiple of per_level 3: .* use k 3 or 6"):
        anchors_yaml(four, 3)
    with pytest.raises(ValueError, match="per_level must be >= 1"):
        anchors_yaml(four, 0)


def _write_coco(path: Path) -> None:
    data = {
        "images": [
            {"id": 1, "width": 200, "height": 100, "file_name": "a.png"},
            {"id": 2, "width": 100, "height": 100, "file_name": "b.png"},
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "bbox": [0, 0, 50, 25], "category_id": 1},  # -> (25, 25)
            {"id": 2, "image_id": 2, "bbox": [5, 5, 10, 20], "category_id": 1},  # -> (10, 20)
            {"id": 3, "image_id": 2, "bbox": [5, 5, 90, 90], "category_id": 1, "iscrowd": 1},
            {"id": 4, "image_id": 2, "bbox": [5, 5, 0, 20], "category_id": 1},  # empty
        ],
        "categories": [{"id": 1, "name": "thing"}],
    }
    path.write_text(json.dumps(data))


def test_coco_box_sizes_scale_to_input(tmp_path):
    ann = tmp_path / "ann.json"
    _write_coco(ann)
    sizes = coco_box_sizes(ann, 100)
    torch.testing.assert_close(
        sizes, torch.tensor([[25.0, 25.0], [10.0, 20.0]], dtype=torch.float64)
    )
    with pytest.raises(FileNotFoundError, match="missing.json"):
        coco_box_sizes(tmp_path / "missing.json", 100)


def test_training_box_sizes_of_a_json_and_of_a_config(tmp_path):
    ann = tmp_path / "ann.json"
    _write_coco(ann)
    torch.testing.assert_close(training_box_sizes(ann, 100), coco_box_sizes(ann, 100))
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=3, num_val=1, size=64, seed=0)
    config = tmp_path / "config.yaml"
    base = str(REPO / "configs" / "_base_" / "shapes_cpu.yaml")
    recipe = {"_base_": base, "model": {"name": "yolo"}, "data": {"root": str(root)}}
    config.write_text(yaml.safe_dump(recipe))
    sizes = training_box_sizes(config, 128)  # the train split, read through the dataset
    expected = coco_box_sizes(root / "annotations" / "instances_train.json", 128)
    assert sizes.shape == expected.shape and sizes.shape[0] > 0
    torch.testing.assert_close(sizes[sizes[:, 0].argsort()], expected[expected[:, 0].argsort()])


def test_training_box_sizes_of_data_files(tmp_path):
    """A detseg data file and an Ultralytics data yaml name the dataset as a config does."""
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=3, num_val=1, size=64, seed=0)
    expected = coco_box_sizes(root / "annotations" / "instances_train.json", 128)
    detseg_file = tmp_path / "data.yaml"
    detseg_file.write_text(yaml.safe_dump({"data": {"format": "coco", "root": str(root)}}))
    sizes = training_box_sizes(detseg_file, 128)
    torch.testing.assert_close(sizes[sizes[:, 0].argsort()], expected[expected[:, 0].argsort()])

    yolo = tmp_path / "yolo"
    convert_dataset(root, yolo, "coco", "yolo", progress=False)
    names = (yolo / "classes.txt").read_text().split()
    ultralytics = yolo / "ultralytics.yaml"
    recipe = {"path": ".", "train": "images/train", "val": "images/val", "names": names}
    ultralytics.write_text(yaml.safe_dump(recipe))
    sizes = training_box_sizes(ultralytics, 128)
    assert sizes.shape == expected.shape  # YOLO boxes are rounded: the count is compared
