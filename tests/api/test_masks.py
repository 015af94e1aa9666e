"""Instance masks through the API: a Mask R-CNN's results carry binarised masks and their
probabilities, draw them, and give them as RLE; video frames keep the binary masks only.

The checkpoint is a 2-class Mask R-CNN with random weights (``mask_checkpoint``): its mask
probabilities lie around 0.5, so the masks are irregular blobs, which is all these tests need.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

import detseg
from detseg.api import DetectionResult, Predictor, predict_video
from detseg.api.video_outputs import frame_record
from detseg.visualize import class_colors, draw_detections


@pytest.fixture(scope="module")
def predictor(mask_checkpoint) -> Predictor:
    return detseg.load(mask_checkpoint, device="cpu")


@pytest.fixture(scope="module")
def result(predictor, image_file) -> DetectionResult:
    found = predictor.predict(image_file)
    assert isinstance(found, DetectionResult)
    return found


def test_masks_are_the_probabilities_above_the_models_threshold(predictor, result, image_file):
    assert predictor.model.has_masks and len(result) > 0
    masks, probabilities = result.masks, result.mask_probabilities
    assert masks is not None and probabilities is not None
    assert masks.shape == probabilities.shape == (len(result), 48, 64)
    assert masks.dtype == torch.bool and probabilities.dtype == torch.float32
    assert torch.equal(masks, probabilities > predictor.model.mask_threshold)
    assert masks.any() and not masks.all()
    assert result.mask_areas.tolist() == masks.flatten(1).sum(1).tolist()
    assert "with masks" in repr(result)
    own = predictor.model.mask_threshold
    predictor.model.mask_threshold = float(probabilities.median())  # the model's, not 0.5
    try:
        higher = predictor.predict(image_file)
    finally:
        predictor.model.mask_threshold = own
    assert torch.equal(higher.masks, probabilities > float(probabilities.median()))
    assert not torch.equal(higher.masks, masks)


def test_box_only_results_have_no_masks(detector_checkpoint, image_file):
    plain = detseg.load(detector_checkpoint, device="cpu").predict(image_file)
    assert plain.masks is None and plain.mask_probabilities is None and plain.mask_areas is None
    assert all("segmentation" not in r for r in plain.to_coco())
    assert "mask_areas" not in plain.to_dict() and "with masks" not in repr(plain)


def test_plot_draws_masks_under_the_boxes_in_the_class_colour(result):
    drawn = result.plot()
    boxes_only = draw_detections(
        result.image, result.boxes, result.labels, result.scores, result.classes
    )
    masks = result.masks.numpy()
    union = masks.any(0)
    changed = (drawn != boxes_only).any(axis=2)
    assert changed[union].any()  # the overlay is drawn inside the masks ...
    assert not changed[~union].any()  # ... and nowhere else (outlines lie on mask pixels)
    top = int(result.scores.argmax())  # drawn last: its outline is on top of the others
    contours, _ = cv2.findContours(
        masks[top].astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
    )
    outline = np.zeros(union.shape, np.uint8)
    cv2.drawContours(outline, contours, -1, 1, 1)
    untouched_by_boxes = (boxes_only == result.image).all(axis=2)
    on_outline = (outline > 0) & untouched_by_boxes
    assert on_outline.sum() > 10
    color = class_colors(len(result.classes))[int(result.labels[top]) - 1]
    assert (drawn[on_outline] == color).all()


def test_to_coco_gives_rle_that_decodes_to_the_masks(result):
    records = result.to_coco(image_id=4)
    assert len(records) == len(result)
    for record, mask, label in zip(records, result.masks, result.labels.tolist(), strict=True):
        rle = record["segmentation"]
        assert isinstance(rle["counts"], str) and rle["size"] == [48, 64]
        assert np.array_equal(mask_utils.decode(rle), mask.numpy().astype(np.uint8))
        assert record["category_id"] == [3, 7][label - 1] and record["image_id"] == 4
    json.dumps(records)  # plain JSON types


def test_video_frames_keep_binary_masks_and_record_their_areas(predictor, video, tmp_path):
    frames = list(predictor.stream(video, max_frames=2))
    assert all(f.masks is not None and f.mask_probabilities is None for f in frames)
    assert frames[0].masks.shape[1:] == (64, 64)
    run = predict_video(predictor, video, tmp_path, max_frames=2)
    records = [json.loads(line) for line in run.records.read_text().splitlines()]
    for record, frame in zip(records, frames, strict=True):
        assert record == frame_record(frame) | {"time": record["time"]}
        assert [d["area"] for d in record["detections"]] == frame.mask_areas.tolist()
        fields = {"bbox", "score", "category_id", "category_name", "area"}
        assert fields == set(record["detections"][0])
