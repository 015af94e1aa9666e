"""COCO crowd regions in a training run: the train targets leave them out (they are neither
positives nor negatives, as in torchvision's references), the val ground truth keeps them for
the COCO evaluation, the validation loss leaves them out, and none counts as a dropped box."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from detseg.config import load_config
from detseg.data.loader import collate_detection
from detseg.data.shapes import generate_shapes
from detseg.engine.training.train_data import build_data
from detseg.engine.validation.sharded import validate

REPO = Path(__file__).resolve().parents[3]


def _crowd_every_first_annotation(ann_file: Path) -> int:
    """Mark each image's first annotation as a crowd region; return how many were marked."""
    data = json.loads(ann_file.read_text())
    marked: set[int] = set()
    for ann in data["annotations"]:
        if ann["image_id"] not in marked:
            ann["iscrowd"] = 1
            marked.add(ann["image_id"])
    ann_file.write_text(json.dumps(data))
    return len(marked)


def _shapes_with_crowd(root: Path) -> None:
    generate_shapes(root, num_train=3, num_val=3, size=64, seed=0)
    for split in ("train", "val"):
        assert _crowd_every_first_annotation(root / f"annotations/instances_{split}.json") == 3


def _config(root: Path):
    sets = [f"data.root={root}", "train.num_workers=0", "data.augmentations=[]"]
    return load_config(REPO / "configs/demo.yaml", sets)


def test_train_targets_leave_crowd_out_and_val_ground_truth_keeps_it(tmp_path):
    _shapes_with_crowd(tmp_path)
    data = build_data(_config(tmp_path), "detection")
    gt = json.loads((tmp_path / "annotations/instances_train.json").read_text())
    for index in range(len(data.train_set)):
        _, target = data.train_set[index]
        image_id = int(target["image_id"])
        plain = [a for a in gt["annotations"] if a["image_id"] == image_id and not a["iscrowd"]]
        assert len(target["boxes"]) == len(plain) and not target["iscrowd"].any()
        assert target["dropped_boxes"] == 0  # a crowd region is not a bad box
    crowd = [a for a in data.val_gt.gt["annotations"] if a["iscrowd"]]
    assert len(crowd) == 3  # the COCO evaluation still sees every crowd region
    assert any(bool(data.val_set[i][1]["iscrowd"].any()) for i in range(len(data.val_set)))


class RecordingDetector(torch.nn.Module):
    """Records the targets ``losses`` is given; predicts nothing."""

    task = "detection"

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(()))
        self.seen: list[dict] = []

    def predict(self, images):
        return [
            {"boxes": torch.zeros(0, 4), "scores": torch.zeros(0), "labels": torch.zeros(0)}
            for _ in images
        ]

    def losses(self, images, targets):
        self.seen.extend(targets)
        return {"loss_count": self.weight + sum(len(t["boxes"]) for t in targets)}


def test_validation_loss_leaves_crowd_regions_out(tmp_path):
    _shapes_with_crowd(tmp_path)
    data = build_data(_config(tmp_path), "detection")
    batch = collate_detection([data.val_set[i] for i in range(len(data.val_set))])
    model = RecordingDetector()
    metrics = validate(
        model,
        [batch],
        torch.device("cpu"),
        task="detection",
        gt=data.val_gt.gt,
        cat_ids=data.cat_ids,
    )
    assert metrics is not None and len(model.seen) == 3
    assert all(not t["iscrowd"].any() for t in model.seen)
    plain = [a for a in data.val_gt.gt["annotations"] if not a["iscrowd"]]
    assert sum(len(t["boxes"]) for t in model.seen) == len(plain)
    assert metrics["loss_count"] == len(plain)  # one batch: its loss is the mean
