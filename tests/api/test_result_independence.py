"""The results of one batch are independent: editing one (its tensors, its class names or
category ids) changes neither the other results nor the predictor."""

from __future__ import annotations

import numpy as np
import torch

import detseg


def _images() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(2)]


def test_detection_results_of_a_batch_share_nothing(detector_checkpoint):
    predictor = detseg.load(detector_checkpoint, "cpu")
    first, second = predictor.predict(_images(), batch_size=2)
    boxes, scores = second.boxes.clone(), second.scores.clone()
    first.boxes += 1
    first.scores.zero_()
    first.classes[0] = "renamed"
    first.category_ids[0] = -1
    assert torch.equal(second.boxes, boxes) and torch.equal(second.scores, scores)
    assert second.classes[0] != "renamed" and predictor.classes[0] != "renamed"
    assert second.category_ids[0] != -1 and predictor.category_ids[0] != -1
    assert predictor.labels_of([1]) == frozenset({1})


def test_segmentation_results_of_a_batch_share_nothing(segmenter_checkpoint):
    predictor = detseg.load(segmenter_checkpoint, "cpu")
    first, second = predictor.predict(_images(), batch_size=2)
    mask = second.mask.clone()
    first.mask.zero_()
    first.classes.append("extra")
    first.category_ids.append(99)
    assert torch.equal(second.mask, mask)
    assert "extra" not in second.classes and "extra" not in predictor.classes
    assert 99 not in second.category_ids and 99 not in predictor.category_ids


def test_plot_leaves_the_image_alone(mask_checkpoint):
    result = detseg.load(mask_checkpoint, "cpu").predict(_images()[0])
    before = result.image.copy()
    result.plot()
    assert np.array_equal(result.image, before)


def test_integer_masks_are_foreground_wherever_non_zero():
    """A mask of 0/256 (or any integer) encodes its non-zero pixels: a cast to uint8 would
    turn 256 into background."""
    from pycocotools import mask as mask_utils

    from detseg.evaluation.coco_format import masks_to_rles

    masks = np.zeros((2, 6, 8), np.int64)
    masks[0, 1:4, 2:5] = 256
    masks[1, 2:6, 0:3] = 1
    for rle, mask in zip(masks_to_rles(masks, 2), masks, strict=True):
        assert np.array_equal(mask_utils.decode(rle).astype(bool), mask != 0)
