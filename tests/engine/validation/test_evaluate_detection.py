"""evaluate_detection and validate: predictions -> COCO results -> pycocotools numbers, and the
VOC mAP beside them for a VOC metric."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
from torch import nn

from detseg.engine.training import score_key
from detseg.engine.validation import (
    COCO_KEYS,
    VOC_MAP_KEY,
    VOC_PER_CLASS_KEY,
    DatasetHead,
    coco_ground_truth,
    evaluate_detection,
    validate,
)


@dataclass
class FakeBatch:
    images: list[torch.Tensor]
    targets: list[dict]
    skipped_images: int = 0
    dropped_boxes: int = 0

    def __len__(self):
        return len(self.images)


class FakeDataset:
    """Three 32x32 images, one box each; COCO category ids 7 ("a") and 9 ("b")."""

    classes = ["a", "b"]
    cat_ids = [7, 9]
    image_ids = [10, 11, 12]
    boxes = [[2.0, 2.0, 12.0, 14.0], [5.0, 5.0, 25.0, 20.0], [0.0, 0.0, 30.0, 30.0]]
    labels = [1, 2, 1]

    def __len__(self):
        return 3

    def __getitem__(self, i):
        target = {
            "boxes": torch.tensor([self.boxes[i]]),
            "labels": torch.tensor([self.labels[i]]),
            "image_id": torch.tensor(self.image_ids[i]),
        }
        return torch.zeros(3, 32, 32), target

    def coco_gt(self):
        annotations = []
        for i, (box, label) in enumerate(zip(self.boxes, self.labels, strict=True)):
            x1, y1, x2, y2 = box
            annotations.append(
                {
                    "id": i + 1,
                    "image_id": self.image_ids[i],
                    "category_id": self.cat_ids[label - 1],
                    "bbox": [x1, y1, x2 - x1, y2 - y1],
                    "area": (x2 - x1) * (y2 - y1),
                    "iscrowd": 0,
                }
            )
        return {
            "images": [{"id": i, "width": 32, "height": 32} for i in self.image_ids],
            "annotations": annotations,
            "categories": [{"id": 7, "name": "a"}, {"id": 9, "name": "b"}],
        }


class OracleModel(nn.Module):
    """Predicts each image's ground truth (found by call order), optionally with swapped labels."""

    def __init__(self, dataset, swap_labels=False):
        super().__init__()
        self.dataset, self.swap, self.calls = dataset, swap_labels, 0
        self.dummy = nn.Parameter(torch.zeros(()))

    def predict(self, images):
        assert not self.training and not torch.is_grad_enabled()
        out = []
        for _ in images:
            _, target = self.dataset[self.calls]
            labels = 3 - target["labels"] if self.swap else target["labels"]
            out.append({"boxes": target["boxes"], "scores": torch.ones(1), "labels": labels})
            self.calls += 1
        return out


def _loader(dataset):
    images, targets = zip(*[dataset[i] for i in range(len(dataset))], strict=True)
    return [FakeBatch(list(images), list(targets))]


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_perfect_and_wrong_class_predictions(backend):
    dataset = FakeDataset()
    gt = coco_ground_truth(dataset)
    assert gt.cat_ids == [7, 9]
    model = OracleModel(dataset)
    metrics, results = evaluate_detection(
        model, _loader(dataset), torch.device("cpu"), gt.gt, gt.cat_ids, backend
    )
    assert set(COCO_KEYS) <= set(metrics)
    assert metrics["AP"] == pytest.approx(1.0) and metrics["AP50"] == pytest.approx(1.0)
    assert {r["category_id"] for r in results} == {7, 9}
    assert results[0]["bbox"] == [2.0, 2.0, 10.0, 12.0]
    assert model.training  # mode restored

    swapped = OracleModel(dataset, swap_labels=True)
    metrics, _ = evaluate_detection(
        swapped, _loader(dataset), torch.device("cpu"), gt.gt, gt.cat_ids, backend
    )
    assert metrics["AP"] == pytest.approx(0.0)


def test_dataset_head_restricts_ground_truth():
    head = DatasetHead(FakeDataset(), 2)
    assert len(head) == 2 and head.image_ids == [10, 11]
    gt = coco_ground_truth(head)
    assert [img["id"] for img in gt.gt["images"]] == [10, 11]
    assert [a["image_id"] for a in gt.gt["annotations"]] == [10, 11]
    # Perfect predictions on the two kept images give AP 1 (the third image is not a miss).
    metrics, _ = evaluate_detection(
        OracleModel(head), _loader(head), torch.device("cpu"), gt.gt, gt.cat_ids
    )
    assert metrics["AP"] == pytest.approx(1.0)
    with pytest.raises(IndexError):
        head[2]


class DifficultDataset:
    """Two 32x32 VOC-like images without ``coco_gt()``: each has one ordinary object and one
    flagged ``difficult`` (labels: "a" = 1, "b" = 2)."""

    classes = ["a", "b"]
    image_ids = [20, 21]
    boxes = [
        [[2.0, 2.0, 12.0, 14.0], [16.0, 16.0, 30.0, 30.0]],
        [[5.0, 5.0, 25.0, 20.0], [0.0, 22.0, 10.0, 32.0]],
    ]
    labels = [[1, 2], [2, 1]]
    difficult = [[0, 1], [0, 1]]

    def __len__(self):
        return 2

    def __getitem__(self, i):
        target = {
            "boxes": torch.tensor(self.boxes[i]),
            "labels": torch.tensor(self.labels[i]),
            "difficult": torch.tensor(self.difficult[i]),
            "image_id": torch.tensor(self.image_ids[i]),
        }
        return torch.zeros(3, 32, 32), target


class SubsetModel(nn.Module):
    """Predicts each image's objects whose ``difficult`` flag is in ``flags``, all at score 1."""

    def __init__(self, dataset, flags):
        super().__init__()
        self.dataset, self.flags, self.calls = dataset, flags, 0
        self.dummy = nn.Parameter(torch.zeros(()))

    def predict(self, images):
        out = []
        for _ in images:
            _, target = self.dataset[self.calls]
            keep = torch.isin(target["difficult"], torch.tensor(self.flags))
            boxes, labels = target["boxes"][keep], target["labels"][keep]
            out.append({"boxes": boxes, "scores": torch.ones(len(boxes)), "labels": labels})
            self.calls += 1
        return out


@pytest.mark.parametrize("metric", ["voc07", "voc12"])
def test_a_voc_metric_adds_the_voc_map_and_ignores_difficult_objects(metric):
    dataset, cpu = DifficultDataset(), torch.device("cpu")
    gt = coco_ground_truth(dataset)
    assert [a["iscrowd"] for a in gt.gt["annotations"]] == [0, 1, 0, 1]
    for flags in ([0], [0, 1]):  # the difficult objects found or not: no difference
        metrics, _ = evaluate_detection(
            SubsetModel(dataset, flags), _loader(dataset), cpu, gt.gt, gt.cat_ids, metric=metric
        )
        assert metrics[VOC_MAP_KEY] == 1.0
        assert metrics[VOC_PER_CLASS_KEY] == {"a": 1.0, "b": 1.0}
        assert metrics["AP"] == pytest.approx(1.0)
        record = validate(
            SubsetModel(dataset, flags),
            _loader(dataset),
            cpu,
            task="detection",
            gt=gt.gt,
            cat_ids=gt.cat_ids,
            metric=metric,
            val_loss=False,
        )
        assert record == {**metrics, "skipped_images": 0}  # no unreadable val image
    only_difficult, _ = evaluate_detection(
        SubsetModel(dataset, [1]), _loader(dataset), cpu, gt.gt, gt.cat_ids, metric=metric
    )
    assert only_difficult[VOC_MAP_KEY] == 0.0 and only_difficult["AP"] == pytest.approx(0.0)
    assert score_key("detection", metric) == VOC_MAP_KEY


def test_the_coco_metric_adds_no_voc_keys():
    dataset = DifficultDataset()
    gt = coco_ground_truth(dataset)
    metrics, _ = evaluate_detection(
        SubsetModel(dataset, [0]), _loader(dataset), torch.device("cpu"), gt.gt, gt.cat_ids
    )
    assert VOC_MAP_KEY not in metrics and VOC_PER_CLASS_KEY not in metrics
    assert metrics["AP"] == pytest.approx(1.0)
    assert score_key("detection", "coco") == "AP"
    assert score_key("segmentation", "voc07") == "mIoU"


@pytest.mark.parametrize("how", ["validate", "evaluate_detection"])
def test_an_unreadable_images_objects_are_not_missed_detections(how):
    """The loader left image 11 out as unreadable (``skipped_images``): perfect predictions of
    the other two score AP and AR 1, in training's validation as in a checkpoint's evaluation
    (its object, the only one of class "b", is not scored: it would make that class's AP 0)."""
    dataset = FakeDataset()
    gt = coco_ground_truth(dataset)
    read = [dataset[0], dataset[2]]
    batch = FakeBatch([image for image, _ in read], [target for _, target in read], 1)
    model = OracleModel(dataset)
    model.calls = 0
    model.dataset = [dataset[0], dataset[2]]
    cpu = torch.device("cpu")
    if how == "validate":
        metrics = validate(
            model, [batch], cpu, task="detection", gt=gt.gt, cat_ids=gt.cat_ids, val_loss=False
        )
        assert metrics is not None and metrics["skipped_images"] == 1
    else:
        metrics, _ = evaluate_detection(model, [batch], cpu, gt.gt, gt.cat_ids)
    assert metrics["AP"] == pytest.approx(1.0) and metrics["AR100"] == pytest.approx(1.0)
    assert len(gt.gt["images"]) == 3  # the ground truth given is not changed
