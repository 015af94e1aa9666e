"""``to_coco()`` without an ``image_id`` numbers each image by its position in the ``predict``
or ``stream`` call, from 1, as ``tools/infer.py``'s ``predictions.json`` does: the records of
``[r.to_coco() for r in results]`` over several images have one ``image_id`` each (records
of one id would be merged into one image by pycocotools' ``loadRes`` without a word)."""

from __future__ import annotations

import numpy as np
import torch
from pycocotools.coco import COCO

import detseg
from detseg.api.results import DetectionResult, SegmentationResult


def _ids(records: list[dict]) -> set[int]:
    return {record["image_id"] for record in records}


def test_the_images_of_one_call_are_numbered_in_input_order(detector_checkpoint, image_file):
    predictor = detseg.load(detector_checkpoint, "cpu")
    results = predictor.predict([str(image_file)] * 3, score_thr=0.0, batch_size=2)
    assert [r.index for r in results] == [0, 1, 2]
    assert all(len(r) for r in results)  # records to compare, not empty lists
    assert [_ids(r.to_coco()) for r in results] == [{1}, {2}, {3}]
    assert _ids(results[2][:1].to_coco()) == {3}  # a selection keeps its image's position
    assert _ids(results[2].to_coco(image_id=9)) == {9}  # a given id wins
    assert predictor.predict(str(image_file), score_thr=0.0).index == 0


def test_pycocotools_keeps_the_images_apart(detector_checkpoint, image_file):
    predictor = detseg.load(detector_checkpoint, "cpu")
    results = predictor.predict([str(image_file)] * 2, score_thr=0.0)
    gt = COCO()
    gt.dataset = {
        "images": [{"id": i, "width": 64, "height": 48} for i in (1, 2)],
        "annotations": [],
        "categories": [{"id": k} for k in results[0].category_ids],
    }
    gt.createIndex()
    found = gt.loadRes([record for r in results for record in r.to_coco()])
    assert [len(found.getAnnIds(imgIds=[i])) for i in (1, 2)] == [len(r) for r in results]


def test_stream_numbers_images_and_frames_together(detector_checkpoint, image_file, video):
    predictor = detseg.load(detector_checkpoint, "cpu")
    results = list(predictor.stream([str(image_file), str(video)], max_frames=3))
    assert [r.index for r in results] == [0, 1, 2]
    assert [r.frame for r in results] == [None, 0, 1]
    frames = list(predictor.stream(str(video), max_frames=2, score_thr=0.0))
    assert all(len(r) for r in frames)
    assert [_ids(r.to_coco()) for r in frames] == [{1}, {2}]


def test_a_segmenter_numbers_its_label_maps(segmenter_checkpoint, image_file):
    results = detseg.load(segmenter_checkpoint, "cpu").predict([str(image_file)] * 2)
    assert [r.index for r in results] == [0, 1]
    mask = torch.ones(8, 8, dtype=torch.int64)  # class 1 everywhere: one record
    image = np.zeros((8, 8, 3), np.uint8)
    second = SegmentationResult(mask, torch.zeros(2, 8, 8), ["a"], image, index=results[1].index)
    assert _ids(second.to_coco()) == {2}


def test_a_result_made_by_hand_is_image_1():
    image = np.zeros((8, 8, 3), np.uint8)
    boxes = torch.tensor([[1.0, 1.0, 5.0, 5.0]])
    made = DetectionResult(boxes, torch.tensor([0.9]), torch.tensor([1]), ["a"], image)
    assert made.index is None and _ids(made.to_coco()) == {1}
    mask = torch.ones(8, 8, dtype=torch.int64)
    label_map = SegmentationResult(mask, torch.zeros(2, 8, 8), ["a"], image)
    assert _ids(label_map.to_coco()) == {1}
