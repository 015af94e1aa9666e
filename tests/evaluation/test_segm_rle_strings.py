"""A compressed RLE whose ``counts`` string is malformed (characters no RLE holds, cut short,
runs that do not cover its ``size``): faster-coco-eval fails with a bare ``RuntimeError`` or
never returns, pycocotools reads it as some other mask or never returns; mask AP names the
detection or annotation and what is wrong instead."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco_checks import check_rle_strings, check_segm_ground_truth
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

SIZE = [20, 30]


def _rle(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}


def _square() -> dict:
    mask = np.zeros(SIZE, dtype=np.uint8)
    mask[2:8, 3:9] = 1
    return _rle(mask)


GOOD = _square()["counts"]
BAD_COUNTS = {
    "foreign characters": ("@@@garbage", "holds 'r' at position 5"),
    "cut inside a run": (GOOD + "P", "cut short"),
    "cut between runs": (GOOD[:3], "runs of 68 pixels, not the 600"),
    "empty": ("", "runs of 0 pixels, not the 600"),
    "negative run": ("n1@" + GOOD[3:], "negative run"),
    "bytes": (b"@@@garbage", "holds 'r' at position 5"),
    "not ascii": ("n1\u20ac6", "holds '\u20ac' at position 2"),
    "overlong run": ("nnnnnnnn1", "a run of more than 7 characters"),
}


def _gt(segmentation: dict) -> dict:
    return {
        "images": [{"id": 1, "file_name": "a.png", "height": SIZE[0], "width": SIZE[1]}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {
                "id": 5,
                "image_id": 1,
                "category_id": 1,
                "bbox": [3.0, 2.0, 6.0, 6.0],
                "area": 36.0,
                "iscrowd": 0,
                "segmentation": segmentation,
            }
        ],
    }


def _detection(segmentation: dict) -> dict:
    return {"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": segmentation}


def _where(i: int) -> str:
    return f"preds.json: detection {i}"


@pytest.mark.parametrize("name", list(BAD_COUNTS))
def test_malformed_counts_string_is_named(name):
    counts, problem = BAD_COUNTS[name]
    rles = [_square(), _square(), {"size": SIZE, "counts": counts}, _square()]
    with pytest.raises(ValueError, match=rf"^preds\.json: detection 2 .*{problem}[^\n]*$"):
        check_rle_strings(rles, _where)


def test_first_of_several_malformed_strings_is_named():
    rles = [_square(), {"size": SIZE, "counts": GOOD[:3]}, {"size": SIZE, "counts": "@@@x"}]
    with pytest.raises(ValueError, match=r"detection 1 .*runs of 68 pixels"):
        check_rle_strings([[[0, 0, 5, 0, 5, 5]], *rles], lambda i: f"detection {i - 1}")
    with pytest.raises(ValueError, match=r"detection 2 .*holds 'x' at position 3"):
        check_rle_strings([rles[0], rles[2], rles[1]], lambda i: f"detection {i + 1}")


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_malformed_detection_string_is_named_by_both_backends(backend):
    bad = {"size": SIZE, "counts": "@@@garbage"}
    with pytest.raises(ValueError, match=r"detection 0 \(image 1\) .*holds 'r' at position 5"):
        coco_evaluate(_gt(_square()), [_detection(bad)], "segm", backend)


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_malformed_ground_truth_string_is_named_by_both_backends(backend):
    bad = {"size": SIZE, "counts": "@@@garbage"}
    with pytest.raises(ValueError, match=r"annotation 5 \(image 1\) .*holds 'r' at position 5"):
        coco_evaluate(_gt(bad), [_detection(_square())], "segm", backend)
    with pytest.raises(ValueError, match=r"^gt\.json: annotation 5 \(image 1\) .*cut short"):
        check_segm_ground_truth(_gt({"size": SIZE, "counts": GOOD + "P"}), "gt.json")


def test_strings_of_real_masks_pass():
    rng = np.random.default_rng(0)
    rles = [_rle(rng.random((37, 53)) < fill) for fill in (0.0, 0.05, 0.5, 0.95, 1.0)]
    rles += [{"size": [0, 0], "counts": ""}, _rle(np.ones((400, 600)))]  # one run of 240000
    rles += [{**_square(), "counts": _square()["counts"].encode("ascii")}]
    assert check_rle_strings(rles, _where) is None
    # each string is read, not passed over: the same one cut inside a run is refused by index
    for i, rle in enumerate(rles):
        cut = rle["counts"] + (b"P" if isinstance(rle["counts"], bytes) else "P")
        with pytest.raises(ValueError, match=rf"^{re.escape(_where(i))} .*cut short"):
            check_rle_strings([*rles[:i], {**rle, "counts": cut}, *rles[i + 1 :]], _where)


def test_prediction_file_names_the_file(tmp_path):
    gt, preds = tmp_path / "gt.json", tmp_path / "preds.json"
    gt.write_text(json.dumps(_gt(_square())))
    bad = {"size": SIZE, "counts": GOOD + "P"}
    preds.write_text(json.dumps([_detection(_square()), _detection(bad)]))
    with pytest.raises(ValueError, match=r"preds\.json: detection 1 \(image 1\) .*cut short"):
        evaluate_prediction_files(gt, preds, out=tmp_path / "out", iou_type="segm")
    by_name = {**_detection(bad), "file_name": "a.png"}
    del by_name["image_id"]
    preds.write_text(json.dumps([by_name]))
    with pytest.raises(ValueError, match=r"preds\.json: detection 0 \(image 'a\.png'\) .*cut"):
        evaluate_prediction_files(gt, preds, out=tmp_path / "out", iou_type="segm")
