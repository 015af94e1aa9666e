"""Uncompressed RLE (``counts`` a list of runs, as crowd regions have it) whose runs are not
non-negative whole numbers: pycocotools truncates a fractional run (a wrong mask, silently) and
overflows on a negative one, so the instance gets the one warning naming the annotation that
every malformed segmentation gets, and no mask."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from detseg.data.coco_masks import decode_segmentation

H, W = 5, 5


def _decode(counts: list, caplog: pytest.LogCaptureFixture) -> np.ndarray:
    ann = {"id": 42, "bbox": [0, 0, 5, 5], "segmentation": {"size": [H, W], "counts": counts}}
    with caplog.at_level(logging.WARNING, logger="detseg.data.coco_masks"):
        return decode_segmentation(ann, H, W, Path("img.png"))


@pytest.mark.parametrize("counts", [[2.5, 22.5], [-5, 30], [True, 24]])
def test_bad_runs_give_no_mask_and_name_the_annotation(counts, caplog):
    mask = _decode(counts, caplog)
    assert mask.shape == (H, W) and not mask.any()
    [record] = caplog.records
    assert "img.png: annotation 42" in record.getMessage()
    assert "non-negative whole numbers" in record.getMessage()


@pytest.mark.parametrize("counts", [[3, 2, 20], [3.0, 2.0, 20.0]])
def test_whole_runs_decode(counts, caplog):
    mask = _decode(counts, caplog)
    assert int(mask.sum()) == 2 and mask[3:5, 0].all()  # runs go down the columns
    assert not caplog.records
