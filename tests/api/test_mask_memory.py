"""``predict(..., mask_probabilities=False)`` keeps a Mask R-CNN's binarised masks only: the
per-pixel float probabilities (four bytes a pixel and detection) are what fills memory on
large images and long lists."""

from __future__ import annotations

import torch

import detseg


def test_mask_probabilities_can_be_left_out(mask_checkpoint, image_file):
    predictor = detseg.load(mask_checkpoint, "cpu")
    full = predictor.predict(image_file)
    [lean] = predictor.predict([image_file], mask_probabilities=False)
    assert full.mask_probabilities is not None and lean.mask_probabilities is None
    assert lean.masks is not None and torch.equal(lean.masks, full.masks)
    assert lean.to_coco() == full.to_coco()
