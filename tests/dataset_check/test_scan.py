"""The per-image scan: box classification and the facts of each image."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from detseg.data import build_dataset, sanitize_boxes
from detseg.dataset_check import classify_boxes, scan_split

NAN = float("nan")


def test_classify_boxes_by_hand():
    boxes = np.array(
        [
            [0, 0, 10, 10],  # fine
            [-5, 0, 10, 10],  # reaches outside on the left: clipped
            [0, 0, 0, 5],  # zero width: degenerate
            [NAN, 0, 5, 5],  # not finite: degenerate
            [70, 70, 80, 80],  # wholly outside the 64 x 64 image: outside, dropped
            [5, 5, 5.5, 9],  # half a pixel wide inside the image: degenerate
            [8, 8, 4, 12],  # x2 < x1: degenerate
            [0, 0, 64.3, 10],  # 0.3 px beyond the right edge: within the tolerance
        ]
    )
    flags = classify_boxes(boxes, (64, 64))
    assert flags.degenerate.tolist() == [False, False, True, True, False, True, True, False]
    assert flags.outside.tolist() == [False, True, False, False, True, False, False, False]
    assert flags.dropped.tolist() == [False, False, True, True, True, True, True, False]
    assert classify_boxes(boxes, (64, 64), tolerance=0.0).outside[-1]


@pytest.mark.parametrize("min_size", [1.0, 0.0])
def test_classify_boxes_drops_what_sanitize_boxes_drops(min_size):
    rng = np.random.default_rng(0)
    boxes = rng.uniform(-20, 80, size=(500, 4))
    boxes[::7, 2] = boxes[::7, 0] + rng.uniform(0, 1.5, size=len(boxes[::7]))  # thin boxes
    boxes[::11, 1] = NAN
    boxes[::13] = [70.0, 5.0, 75.0, 9.0]  # wholly right of the 64 px wide image: no area left
    flags = classify_boxes(boxes, (48, 64), min_size=min_size)
    _, keep = sanitize_boxes(boxes, (48, 64), min_size=min_size)
    np.testing.assert_array_equal(flags.dropped, ~keep)
    assert flags.outside.any() and flags.degenerate.any() and keep.any()


def test_scan_of_a_clean_split(shapes_root: Path):
    dataset = build_dataset({"format": "coco", "root": str(shapes_root)}, "train")
    scan = scan_split(dataset, "train", root=shapes_root)
    coco = json.loads((shapes_root / "annotations" / "instances_train.json").read_text())
    assert scan.kind == "detection" and scan.decoded
    assert len(scan.records) == len(coco["images"]) == 10
    assert [r.file for r in scan.records][:2] == [
        "train/images/000000.png",
        "train/images/000001.png",
    ]
    assert all(r.readable and r.size == (64, 64) for r in scan.records)
    assert len({r.digest for r in scan.records}) == 10
    assert sum(len(r.labels) for r in scan.records) == len(coco["annotations"])
    assert not any(r.flags is not None and r.flags.dropped.any() for r in scan.records)


def test_scan_finds_corrupt_files_by_header_or_by_decoding(broken_root: Path):
    dataset = build_dataset({"format": "coco", "root": str(broken_root)}, "train")
    headers = scan_split(dataset, "train", root=broken_root, decode=False)
    decoded = scan_split(dataset, "train", root=broken_root, decode=True)
    bad_header = [r.file for r in headers.records if not r.readable]
    bad_decode = [r.file for r in decoded.records if not r.readable]
    assert bad_header == ["train/images/000001.png"]
    assert bad_decode == ["train/images/000001.png", "train/images/000007.png"]
    record = decoded.records[1]
    assert record.error is not None and record.error.startswith("not an image")
    assert record.digest is not None and record.size is None and len(record.labels) == 0
