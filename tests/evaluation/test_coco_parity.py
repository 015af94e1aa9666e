"""coco_evaluate against pycocotools, used directly, on generated cases.

Each case is drawn with a seeded numpy generator and mixes: crowd objects,
images without ground truth, images without detections, detections of a listed
category that has no ground truth and of a category that is not listed at all,
objects in all three area ranges, one image with more than 100 detections,
polygon and RLE masks, and (in some cases) scores with many ties. The same cases are
also scored at detection limits other than ``(1, 10, 100)`` (which cut that image's
detections, per category by score) and with image and category ids listed in any order and
of any size (tied scores across images rank in pycocotools' image id order).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools_reference import pycocotools_eval

from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco_per_class import mean_valid

KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
NUM_CATS = 3
UNUSED_CAT, UNLISTED_CAT = 9, 77
# faster-coco-eval divides tp / (tp + fp) where pycocotools adds np.spacing(1) to the
# denominator, so its precisions can differ by one ulp: the means agree to ~1e-16.
TOL = 1e-12


def _octagon(x: float, y: float, w: float, h: float) -> list[float]:
    """A polygon inside the box, so mask and box IoUs differ."""
    fx, fy = 0.3 * w, 0.3 * h
    left, right, top, bottom = x + fx, x + w - fx, y + fy, y + h - fy  # the cut corners
    top_edge = [(left, y), (right, y)]
    right_edge = [(x + w, top), (x + w, bottom)]
    bottom_edge = [(right, y + h), (left, y + h)]
    left_edge = [(x, bottom), (x, top)]
    pts = top_edge + right_edge + bottom_edge + left_edge
    return [float(v) for p in pts for v in p]


def _random_box(rng: np.random.Generator, width: int, height: int) -> list[float]:
    side = float(np.exp(rng.uniform(np.log(4), np.log(min(width, height) * 0.9))))
    w, h = side * rng.uniform(0.6, 1.4), side * rng.uniform(0.6, 1.4)
    w, h = min(w, width - 1.0), min(h, height - 1.0)
    return [rng.uniform(0, width - w), rng.uniform(0, height - h), w, h]


def _gt_annotation(rng, image, box, cat, segm: bool) -> dict:
    crowd = int(rng.random() < 0.12)
    ann = {"image_id": image["id"], "category_id": cat, "bbox": box, "iscrowd": crowd}
    if not segm:
        ann["area"] = box[2] * box[3] * rng.uniform(0.5, 1.0)
        return ann
    rles = mask_utils.frPyObjects([_octagon(*box)], image["height"], image["width"])
    if crowd:  # crowd objects come as uncompressed RLE, as in COCO
        binary = mask_utils.decode(rles)[:, :, 0]
        flat = binary.flatten(order="F")
        changes = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])))
        counts = np.diff(np.concatenate([[0], changes])).tolist()
        ann["segmentation"] = {"size": [image["height"], image["width"]], "counts": counts}
    elif rng.random() < 0.3:  # compressed RLE with str counts
        rle = mask_utils.merge(rles)
        ann["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
    else:
        ann["segmentation"] = [_octagon(*box)]
    ann["area"] = float(mask_utils.area(mask_utils.merge(rles)))
    return ann


def _detection(rng, image, box, cat, segm: bool, ties: bool, with_bbox: bool) -> dict:
    jitter = rng.normal(0, 0.08, 4) * np.array([box[2], box[3], box[2], box[3]])
    x, y, w, h = np.array(box) + jitter
    w, h = max(w, 1.0), max(h, 1.0)
    score = round(rng.uniform(0.05, 1.0), 1) if ties else rng.uniform(0.0, 1.0)
    det = {"image_id": image["id"], "category_id": cat, "score": float(score)}
    if with_bbox:
        det["bbox"] = [float(x), float(y), float(w), float(h)]
    if segm:
        rle = mask_utils.merge(
            mask_utils.frPyObjects([_octagon(x, y, w, h)], image["height"], image["width"])
        )
        det["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
    return det


def make_case(seed: int, segm: bool = False, ties: bool = False, with_bbox: bool = True):
    """A COCO ground-truth dict and a results list covering the corner cases above."""
    rng = np.random.default_rng(seed)
    images = [
        {"id": 100 + i, "width": int(rng.integers(160, 480)), "height": int(rng.integers(160, 480))}
        for i in range(16)
    ]
    anns, dets = [], []
    for index, image in enumerate(images):
        no_gt = index in (1, 2) or rng.random() < 0.1
        num_gt = 0 if no_gt else int(rng.integers(1, 12))
        boxes = [_random_box(rng, image["width"], image["height"]) for _ in range(num_gt)]
        cats = [int(rng.integers(1, NUM_CATS + 1)) for _ in boxes]
        anns += [_gt_annotation(rng, image, b, c, segm) for b, c in zip(boxes, cats, strict=True)]
        if index in (3, 4):
            continue  # images with ground truth but no detection
        num_fp = 130 if index == 5 else int(rng.integers(0, 6))  # >100 detections on image 5
        for box, cat in zip(boxes, cats, strict=True):
            for _ in range(int(rng.integers(0, 3))):
                wrong = rng.random() < 0.1
                det_cat = cat % NUM_CATS + 1 if wrong else cat
                dets.append(_detection(rng, image, box, det_cat, segm, ties, with_bbox))
        for _ in range(num_fp):
            cat = int(rng.choice([1, 2, 3, UNUSED_CAT, UNLISTED_CAT]))
            box = _random_box(rng, image["width"], image["height"])
            dets.append(_detection(rng, image, box, cat, segm, ties, with_bbox))
    for i, ann in enumerate(anns):
        ann["id"] = i + 1
    categories = [{"id": c, "name": f"class{c}"} for c in [*range(1, NUM_CATS + 1), UNUSED_CAT]]
    return {"images": images, "annotations": anns, "categories": categories}, dets


def _check_case(gt: dict, dets: list, iou_type: str) -> None:
    reference = pycocotools_eval(gt, dets, iou_type).stats
    ours = coco_evaluate(gt, dets, iou_type=iou_type, backend="pycocotools")
    fast = coco_evaluate(gt, dets, iou_type=iou_type, backend="faster")
    assert [ours[k] for k in KEYS] == [float(v) for v in reference]
    for key, ref in zip(KEYS, reference, strict=True):
        assert abs(fast[key] - ref) <= TOL, key
    # Per class: pycocotools' own summarize restricted to one category.
    for cat in gt["categories"]:
        single = pycocotools_eval(gt, dets, iou_type, cat_ids=[cat["id"]]).stats
        expected = {"AP": single[0], "AP50": single[1], "AR100": single[8]}
        for result in (ours, fast):
            got = result["per_class"][cat["name"]]
            assert got.keys() == expected.keys()
            for key in expected:
                assert abs(got[key] - expected[key]) <= TOL, (cat["name"], key)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ties", [False, True])
def test_bbox_matches_pycocotools(seed: int, ties: bool) -> None:
    gt, dets = make_case(seed, ties=ties)
    _check_case(gt, dets, "bbox")


@pytest.mark.parametrize("seed,with_bbox", [(3, True), (4, False)])
def test_segm_matches_pycocotools(seed: int, with_bbox: bool) -> None:
    gt, dets = make_case(seed, segm=True, ties=seed == 4, with_bbox=with_bbox)
    _check_case(gt, dets, "segm")


def test_generated_case_covers_the_corner_cases() -> None:
    gt, dets = make_case(0)
    areas = np.array([a["area"] for a in gt["annotations"] if not a["iscrowd"]])
    assert (areas < 32**2).any() and ((areas >= 32**2) & (areas < 96**2)).any()
    assert (areas >= 96**2).any()
    assert any(a["iscrowd"] for a in gt["annotations"])
    gt_images = {a["image_id"] for a in gt["annotations"]}
    det_images = [d["image_id"] for d in dets]
    assert any(img["id"] not in gt_images for img in gt["images"])
    assert any(img["id"] in gt_images and img["id"] not in det_images for img in gt["images"])
    assert max(det_images.count(i) for i in set(det_images)) > 100
    assert {UNUSED_CAT, UNLISTED_CAT} <= {d["category_id"] for d in dets}
    segm_gt, _ = make_case(3, segm=True)
    kinds = {type(a["segmentation"]).__name__ for a in segm_gt["annotations"]}
    assert kinds == {"list", "dict"}


def _keys(max_dets: list[int]) -> list[str]:
    """The twelve keys of ``coco_evaluate`` at the detection limits ``max_dets``."""
    return [*KEYS[:6], *(f"AR{m}" for m in max_dets), *KEYS[9:]]


def _expected(gt: dict, dets: list, iou_type: str, max_dets: list[int]) -> list[float]:
    """pycocotools' ``stats``, with ``AP`` read from its own ``precision`` array at the last
    limit (its summarize reads ``AP`` at 100 detections only, -1 without that limit)."""
    reference = pycocotools_eval(gt, dets, iou_type, max_dets=max_dets)
    expected = [float(v) for v in reference.stats]
    expected[0] = mean_valid(reference.eval["precision"][:, :, :, 0, -1])
    if max_dets[-1] == 100:
        assert expected[0] == float(reference.stats[0])
    return expected


def _check(gt: dict, dets: list, iou_type: str, max_dets: list[int]) -> None:
    keys = _keys(max_dets)
    expected = _expected(gt, dets, iou_type, max_dets)
    ours = coco_evaluate(gt, dets, iou_type=iou_type, backend="pycocotools", max_dets=max_dets)
    fast = coco_evaluate(gt, dets, iou_type=iou_type, backend="faster", max_dets=max_dets)
    assert [ours[k] for k in keys] == expected
    for key, value in zip(keys, expected, strict=True):
        assert abs(fast[key] - value) <= TOL, key
    for cat in gt["categories"]:
        single = pycocotools_eval(gt, dets, iou_type, cat_ids=[cat["id"]], max_dets=max_dets)
        want = {
            "AP": mean_valid(single.eval["precision"][:, :, :, 0, -1]),
            "AP50": float(single.stats[1]),
            f"AR{max_dets[-1]}": float(single.stats[8]),
        }
        for result in (ours, fast):
            got = result["per_class"][cat["name"]]
            assert got.keys() == want.keys()
            for key, value in want.items():
                assert abs(got[key] - value) <= TOL, (cat["name"], key)


@pytest.mark.parametrize("max_dets", [[1, 10, 300], [1, 5, 50], [2, 20, 100]])
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_custom_limits_match_pycocotools(max_dets: list[int], iou_type: str) -> None:
    gt, dets = make_case(5, segm=iou_type == "segm", ties=True)
    per_image = np.bincount([d["image_id"] for d in dets])
    assert per_image.max() > max(max_dets[1], 100)  # the limits cut detections
    _check(gt, dets, iou_type, max_dets)


def _renamed(gt: dict, dets: list, image_id, category_id, seed: int) -> tuple[dict, list]:
    """The case with image and category ids mapped, and every list shuffled."""
    gt, dets = copy.deepcopy(gt), copy.deepcopy(dets)
    for image in gt["images"]:
        image["id"] = image_id(image["id"])
    for category in gt["categories"]:
        category["id"] = category_id(category["id"])
    for record in (*gt["annotations"], *dets):
        record["image_id"] = image_id(record["image_id"])
        record["category_id"] = category_id(record["category_id"])
    rng = np.random.default_rng(seed)
    for key in ("images", "annotations", "categories"):
        rng.shuffle(gt[key])
    rng.shuffle(dets)
    return gt, dets


@pytest.mark.parametrize(
    "image_id,category_id",
    [
        (lambda i: 1000 - i, lambda c: 100 - c),  # listed in descending id order
        (lambda i: 2**40 + (97 * i) % 31, lambda c: 2**33 + c),  # beyond 32 bits
        (lambda i: i - 100, lambda c: c),  # image id 0
    ],
)
def test_id_order_and_size_match_pycocotools(image_id, category_id) -> None:
    gt, dets = make_case(1, ties=True)
    _check(*_renamed(gt, dets, image_id, category_id, seed=1), "bbox", [1, 10, 100])


@pytest.mark.parametrize("ties", [False, True])
def test_more_than_100_detections_of_one_category_on_an_image(ties: bool) -> None:
    # pycocotools keeps each image's 100 best of each category (input order among tied
    # scores): 250 of category 1 on one image, a third of them near its objects
    gt, dets = make_case(2, ties=ties)
    rng = np.random.default_rng(2)
    image = gt["images"][6]
    objects = [a["bbox"] for a in gt["annotations"] if a["image_id"] == image["id"]]
    assert objects
    for k in range(250):
        if k % 3 == 0:
            box = np.asarray(objects[k % len(objects)]) + rng.normal(0, 3, 4)
        else:
            box = np.concatenate([rng.uniform(0, 100, 2), rng.uniform(5, 80, 2)])
        score = round(float(rng.uniform()), 1) if ties else float(rng.uniform())
        bbox = [float(v) for v in box]
        dets.append({"image_id": image["id"], "category_id": 1, "bbox": bbox, "score": score})
    _check(gt, dets, "bbox", [1, 10, 100])
