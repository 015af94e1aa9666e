"""SegmentationResult.to_coco: the COCO stuff-segmentation results format, one RLE per class
present, class indices mapped to the dataset's category ids as the detections map labels."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

import detseg
from detseg.api import Predictor, SegmentationResult


def result_of(mask: torch.Tensor, category_ids: list[int] | None = None) -> SegmentationResult:
    height, width = mask.shape
    return SegmentationResult(
        mask=mask,
        probabilities=torch.zeros(4, height, width),
        classes=["circle", "square", "star"],
        image=np.zeros((height, width, 3), np.uint8),
        category_ids=category_ids,
    )


@pytest.fixture
def mask() -> torch.Tensor:
    """``Int64[6, 7]``: background, class 1 in a block, class 3 in a ragged region."""
    mask = torch.zeros(6, 7, dtype=torch.int64)
    mask[1:4, 0:3] = 1
    mask[2:6, 4:7] = 3
    mask[5, 0] = 3
    return mask


def test_one_record_per_class_present_that_decodes_to_its_pixels(mask):
    records = result_of(mask, [10, 20, 30]).to_coco(image_id=5)
    assert [(r["image_id"], r["category_id"]) for r in records] == [(5, 10), (5, 30)]
    for record, label in zip(records, (1, 3), strict=True):
        assert set(record) == {"image_id", "category_id", "segmentation"}
        rle = record["segmentation"]
        assert rle["size"] == [6, 7] and isinstance(rle["counts"], str)
        assert np.array_equal(mask_utils.decode(rle), (mask == label).numpy().astype(np.uint8))
    json.dumps(records)  # plain JSON types


def test_category_ids_default_to_the_class_indices_and_can_be_given(mask):
    assert [r["category_id"] for r in result_of(mask).to_coco()] == [1, 3]
    given = result_of(mask, [10, 20, 30]).to_coco(2, category_ids=[7, 8, 9])
    assert [(r["image_id"], r["category_id"]) for r in given] == [(2, 7), (2, 9)]


def test_background_only_gives_no_record_and_a_bad_index_is_named(mask):
    assert result_of(torch.zeros(3, 4, dtype=torch.int64), [1, 2, 3]).to_coco() == []
    with pytest.raises(ValueError, match="class index 3 of the mask is outside 1..2"):
        result_of(mask, [10, 20]).to_coco()


def test_a_segmenters_result_maps_classes_as_its_detections_would(segmenter_checkpoint, image_file):
    segmenter = detseg.load(segmenter_checkpoint, "cpu", overrides=["eval.tta=none"])
    result = segmenter.predict(image_file)
    assert result.category_ids == segmenter.category_ids == [1, 2, 3, 4, 5]
    records = result.to_coco(3)
    present = [k for k in result.mask.unique().tolist() if k]
    assert [r["category_id"] for r in records] == [segmenter.category_ids[k - 1] for k in present]
    decoded = np.zeros(result.mask.shape, np.int64)
    for record, label in zip(records, present, strict=True):
        decoded[mask_utils.decode(record["segmentation"]).astype(bool)] = label
    assert np.array_equal(decoded, result.mask.numpy())  # the records rebuild the label map
    ids = [10, 20, 30, 40, 50]  # a checkpoint's dataset ids (meta cat_ids)
    parts = (segmenter.model, segmenter.classes, segmenter.config, segmenter.device)
    mapped = Predictor(*parts, category_ids=ids).predict(image_file).to_coco(3)
    assert [r["category_id"] for r in mapped] == [ids[k - 1] for k in present]
