"""Confusion-matrix metrics on label maps worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from detseg.evaluation import ConfusionMatrix, segmentation_metrics

# target            pred          counted pairs (target, pred), the 255 pixel skipped:
# [[0, 0,   1],     [[0, 1, 1],   (0,0) (0,1) (1,1) (1,1) (2,1)
#  [1, 2, 255]]      [1, 1, 0]]
# matrix rows=target: [[1, 1, 0], [0, 2, 0], [0, 1, 0]]
# TP [1, 2, 0], GT pixels [2, 2, 1], predicted [1, 4, 0], union [2, 4, 1]
# IoU [1/2, 1/2, 0]; mIoU 1/3; pixel acc 3/5; mean acc (1/2 + 1 + 0) / 3 = 1/2;
# fwIoU (2 * 1/2 + 2 * 1/2 + 1 * 0) / 5 = 2/5
TARGET = torch.tensor([[0, 0, 1], [1, 2, 255]])
PRED = torch.tensor([[0, 1, 1], [1, 1, 0]])


def test_hand_computed_metrics() -> None:
    result = segmentation_metrics(PRED[None], TARGET[None], num_classes=3)
    assert result["IoU"] == [0.5, 0.5, 0.0]
    assert result["mIoU"] == pytest.approx(1 / 3, abs=1e-15)
    assert result["pixel_acc"] == pytest.approx(3 / 5, abs=1e-15)
    assert result["mean_acc"] == pytest.approx(1 / 2, abs=1e-15)
    assert result["fwIoU"] == pytest.approx(2 / 5, abs=1e-15)
    assert result["absent_classes"] == []


def test_absent_class_is_nan_and_left_out_of_the_means() -> None:
    result = segmentation_metrics([PRED], [TARGET], num_classes=4)
    assert result["IoU"][:3] == [0.5, 0.5, 0.0] and math.isnan(result["IoU"][3])
    assert result["absent_classes"] == [3]
    assert result["mIoU"] == pytest.approx(1 / 3, abs=1e-15)
    assert result["mean_acc"] == pytest.approx(1 / 2, abs=1e-15)


def test_class_only_predicted_counts_in_miou_not_in_mean_acc() -> None:
    # One pixel of class 0 predicted as 3: IoU [0, ., ., 0] and 3 has no ground truth.
    pred = PRED.clone()
    pred[0, 0] = 3
    result = segmentation_metrics([pred], [TARGET], num_classes=4)
    assert result["IoU"] == [0.0, 0.5, 0.0, 0.0]
    assert result["mIoU"] == pytest.approx(0.5 / 4, abs=1e-15)
    assert result["mean_acc"] == pytest.approx((0 + 1 + 0) / 3, abs=1e-15)
    assert result["absent_classes"] == []


def test_streaming_equals_one_shot_and_numpy_reference() -> None:
    rng = np.random.default_rng(0)
    targets = [rng.integers(0, 5, size=(h, w)) for h, w in [(7, 9), (12, 5), (3, 3)]]
    targets[0][0, :4] = 255
    preds = [rng.integers(0, 5, size=t.shape) for t in targets]
    matrix = ConfusionMatrix(5)
    for pred, target in zip(preds, targets, strict=True):
        matrix.update(torch.from_numpy(pred), torch.from_numpy(target))
    reference = np.zeros((5, 5), dtype=np.int64)
    for pred, target in zip(preds, targets, strict=True):
        keep = target != 255
        np.add.at(reference, (target[keep], pred[keep]), 1)
    assert np.array_equal(matrix.matrix.numpy(), reference)
    assert matrix.compute() == segmentation_metrics(preds, targets, num_classes=5)
    matrix.reset()
    assert int(matrix.matrix.sum()) == 0


def test_no_counted_pixel_gives_nan() -> None:
    result = segmentation_metrics([torch.zeros(2, 2)], [torch.full((2, 2), 255)], 3)
    assert all(math.isnan(result[k]) for k in ["mIoU", "pixel_acc", "mean_acc", "fwIoU"])
    assert result["absent_classes"] == [0, 1, 2]


def test_bad_inputs_raise() -> None:
    matrix = ConfusionMatrix(3)
    with pytest.raises(ValueError, match="shape"):
        matrix.update(torch.zeros(2, 2), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="pred contains label 3"):
        matrix.update(torch.full((2, 2), 3), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="target contains label 7"):
        matrix.update(torch.zeros(2, 2), torch.full((2, 2), 7))
    with pytest.raises(ValueError, match="num_classes"):
        ConfusionMatrix(0)


def _mmseg_style(preds: list, targets: list, num_classes: int, ignore_index: int) -> dict:
    """MMSegmentation's ``intersect_and_union`` summed over images, then its
    ``total_area_to_metrics`` (nan where a class has no union / no ground truth, nan-means),
    and the FCN paper's frequency-weighted IoU."""
    inter, pred_area, label_area = (np.zeros(num_classes) for _ in range(3))
    for pred, target in zip(preds, targets, strict=True):
        keep = target != ignore_index
        pred, target = pred[keep], target[keep]
        bins = np.arange(num_classes + 1)
        inter += np.histogram(pred[pred == target], bins)[0]
        pred_area += np.histogram(pred, bins)[0]
        label_area += np.histogram(target, bins)[0]
    union = pred_area + label_area - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou, acc = inter / union, inter / label_area
    total = label_area.sum()
    return {
        "IoU": iou,
        "mIoU": np.nanmean(iou) if (union > 0).any() else math.nan,
        "pixel_acc": inter.sum() / total if total else math.nan,
        "mean_acc": np.nanmean(acc) if (label_area > 0).any() else math.nan,
        "fwIoU": np.nansum(label_area * iou) / total if total else math.nan,
    }


@pytest.mark.parametrize("ignore_index", [255, 0, -1])
def test_generated_label_maps_match_an_mmseg_style_reference(ignore_index: int) -> None:
    # Each case: 1-3 maps of random sizes over a random subset of the classes (so some are
    # absent from both), a fifth of the pixels ignored, and now and then a map ignored whole.
    rng = np.random.default_rng(ignore_index % 7)
    for case in range(60):
        num_classes = int(rng.integers(2, 7))
        preds, targets = [], []
        for _ in range(int(rng.integers(1, 4))):
            shape = tuple(int(s) for s in rng.integers(1, 12, 2))
            used = rng.choice(num_classes, size=int(rng.integers(1, num_classes + 1)))
            target, pred = rng.choice(used, shape), rng.choice(used, shape)
            target[rng.random(shape) < (1.0 if rng.random() < 0.2 else 0.2)] = ignore_index
            preds.append(pred)
            targets.append(target)
        tensors = [torch.from_numpy(p) for p in preds], [torch.from_numpy(t) for t in targets]
        result = segmentation_metrics(*tensors, num_classes, ignore_index)
        expected = _mmseg_style(preds, targets, num_classes, ignore_index)
        assert np.allclose(result["IoU"], expected["IoU"], rtol=0, atol=1e-15, equal_nan=True)
        for key in ("mIoU", "pixel_acc", "mean_acc", "fwIoU"):
            got, want = result[key], float(expected[key])
            assert (math.isnan(got) and math.isnan(want)) or abs(got - want) <= 1e-15, (case, key)
        assert result["absent_classes"] == np.flatnonzero(np.isnan(expected["IoU"])).tolist()
