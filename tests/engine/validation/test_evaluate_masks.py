"""Validation of a model with masks: box AP under the usual keys, mask AP under ``segm_*``, the
masks binarised at the model's ``mask_threshold`` and carried as RLEs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils
from torch import nn

from detseg.engine.records.tensorboard_log import prediction_images
from detseg.engine.validation import (
    COCO_KEYS,
    SEGM_KEYS,
    SEGM_PER_CLASS_KEY,
    coco_ground_truth,
    evaluate_detection,
    predict_batch,
    validate,
)
from detseg.evaluation.coco_format import masks_to_rles

from .test_evaluate_detection import FakeBatch, FakeDataset, OracleModel

CPU = torch.device("cpu")


def _disc(box: list[float]) -> np.ndarray:
    """``UInt8[32, 32]`` ellipse inscribed in an xyxy box: a mask that is not its box."""
    x1, y1, x2, y2 = box
    yy, xx = np.mgrid[0:32, 0:32] + 0.5  # pixel centres
    dx = (xx - (x1 + x2) / 2) / ((x2 - x1) / 2)
    dy = (yy - (y1 + y2) / 2) / ((y2 - y1) / 2)
    return (dx**2 + dy**2 <= 1).astype(np.uint8)


class FakeMaskDataset(FakeDataset):
    """FakeDataset with an ellipse mask per box (targets and COCO ground truth)."""

    def __getitem__(self, i):
        image, target = super().__getitem__(i)
        target["masks"] = torch.from_numpy(_disc(self.boxes[i]))[None]
        return image, target

    def coco_gt(self):
        gt = super().coco_gt()
        for ann, box in zip(gt["annotations"], self.boxes, strict=True):
            ann["segmentation"] = masks_to_rles(_disc(box)[None], 1)[0]
        return gt


class OracleMaskModel(nn.Module):
    """Predicts each image's ground truth box, and its mask as probability 0.6 inside."""

    has_masks = True

    def __init__(self, dataset, mask_threshold=0.5):
        super().__init__()
        self.dataset, self.calls, self.mask_threshold = dataset, 0, mask_threshold
        self.dummy = nn.Parameter(torch.zeros(()))

    def predict(self, images):
        out = []
        for _ in images:
            _, target = self.dataset[self.calls]
            masks = target["masks"][:, None].float() * 0.6  # [1, 1, 32, 32]
            out.append(
                {
                    "boxes": target["boxes"],
                    "scores": torch.ones(1),
                    "labels": target["labels"],
                    "masks": masks,
                }
            )
            self.calls += 1
        return out

    def losses(self, images, targets):
        assert all(t["masks"].shape == (1, 32, 32) for t in targets)
        return {"loss_roi_mask": self.dummy + 0.25}


def _loader(dataset):
    images, targets = zip(*[dataset[i] for i in range(len(dataset))], strict=True)
    return [FakeBatch(list(images[:2]), list(targets[:2])), FakeBatch([images[2]], [targets[2]])]


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_box_and_mask_ap_of_a_model_with_masks(backend):
    dataset = FakeMaskDataset()
    gt = coco_ground_truth(dataset)
    model = OracleMaskModel(dataset)
    metrics, results = evaluate_detection(
        model, _loader(dataset), torch.device("cpu"), gt.gt, gt.cat_ids, backend=backend
    )
    assert set(COCO_KEYS) <= set(metrics) and set(SEGM_KEYS) <= set(metrics)
    assert metrics["AP"] == pytest.approx(1.0) and metrics["segm_AP"] == pytest.approx(1.0)
    assert metrics[SEGM_PER_CLASS_KEY]["a"]["AP"] == pytest.approx(1.0)
    for result, box in zip(results, FakeMaskDataset.boxes, strict=True):
        assert np.array_equal(mask_utils.decode(result["segmentation"]), _disc(box))


def test_the_models_mask_threshold_binarises_the_masks():
    dataset = FakeMaskDataset()
    gt = coco_ground_truth(dataset)
    model = OracleMaskModel(dataset, mask_threshold=0.7)  # above the predicted 0.6: empty masks
    metrics, results = evaluate_detection(
        model, _loader(dataset), torch.device("cpu"), gt.gt, gt.cat_ids
    )
    assert metrics["AP"] == pytest.approx(1.0) and metrics["segm_AP"] == 0.0
    assert all(mask_utils.area(r["segmentation"]) == 0 for r in results)


def test_predict_batch_hands_back_rles_not_mask_tensors():
    dataset = FakeMaskDataset()
    model = OracleMaskModel(dataset).eval()
    ids, predictions = predict_batch(model, _loader(dataset)[0], torch.device("cpu"))
    assert ids == [10, 11] and all("masks" not in p for p in predictions)
    (rle,) = predictions[1]["segmentation"]
    assert rle["size"] == [32, 32] and isinstance(rle["counts"], str)
    assert np.array_equal(mask_utils.decode(rle), _disc(FakeMaskDataset.boxes[1]))


def test_validate_records_box_and_mask_keys_and_the_loss():
    dataset = FakeMaskDataset()
    gt = coco_ground_truth(dataset)
    model = OracleMaskModel(dataset)
    metrics = validate(
        model, _loader(dataset), torch.device("cpu"), task="detection", gt=gt.gt, cat_ids=gt.cat_ids
    )
    assert metrics is not None
    assert set(COCO_KEYS) | set(SEGM_KEYS) | {SEGM_PER_CLASS_KEY} <= set(metrics)
    assert metrics["segm_AP50"] == pytest.approx(1.0)
    assert metrics["loss_roi_mask"] == pytest.approx(0.25) and metrics["loss"] == pytest.approx(
        0.25
    )


def test_a_model_without_masks_gets_no_mask_keys():
    dataset = FakeMaskDataset()
    gt = coco_ground_truth(dataset)
    metrics, results = evaluate_detection(
        OracleModel(dataset), _loader(dataset), torch.device("cpu"), gt.gt, gt.cat_ids
    )
    assert not any(key.startswith("segm_") for key in metrics)
    assert all("segmentation" not in r for r in results)


def test_tensorboard_images_draw_the_masks():
    dataset = FakeMaskDataset()
    samples = [dataset[i] for i in range(3)]  # the oracles predict by call order
    with_masks = prediction_images(OracleMaskModel(dataset), samples, ["a", "b"], CPU, 0.5)[2]
    boxes_only = prediction_images(OracleModel(dataset), samples, ["a", "b"], CPU, 0.5)[2]
    mask = _disc(FakeMaskDataset.boxes[2]).astype(bool)  # a disc in [0, 0, 30, 30]
    changed = (with_masks != boxes_only).any(axis=2)  # [32, 32]
    assert changed[16:][mask[16:]].mean() > 0.9  # tinted (below the caption on top of the box)
    assert not changed[30:].any() and not changed[:, 30:].any()  # nothing outside the box
