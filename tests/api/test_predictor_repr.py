"""A predictor's repr is one short line for a notebook: the model, its task (and masks), its
classes (shortened when there are many) and what it keeps (score threshold, or a segmenter's
inference chain)."""

from __future__ import annotations

import detseg
from detseg.api.prediction_checks import short_list

COCO_LIKE = [f"class{k}" for k in range(1, 81)]


def test_many_classes_are_shortened():
    assert short_list(COCO_LIKE) == "['class1', 'class2', 'class3', ..., 'class80']"
    assert short_list(["a", "b"]) == "['a', 'b']"


def test_a_detector_shows_its_threshold_and_masks(detector_checkpoint, mask_checkpoint):
    detector = detseg.load(detector_checkpoint, "cpu")
    assert repr(detector) == (
        "Predictor(faster_rcnn detection, 5 classes ['circle', 'square', 'triangle', 'star', "
        "'hexagon'], score >= 0, on cpu)"
    )
    masks = detseg.load(mask_checkpoint, "cpu")
    assert repr(masks).startswith("Predictor(mask_rcnn detection with masks, 2 classes ")


def test_a_segmenter_shows_its_inference_chain(segmenter_checkpoint):
    plain = detseg.load(segmenter_checkpoint, "cpu", overrides=["eval.tta=none"])
    plain.inference = type(plain.inference)()
    assert repr(plain).endswith("'hexagon'], one pass, on cpu)")
    segmenter = detseg.load(segmenter_checkpoint, "cpu")
    assert f", {segmenter.inference.describe()}, on cpu)" in repr(segmenter)
