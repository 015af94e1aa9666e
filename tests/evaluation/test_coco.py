"""coco_evaluate: hand-checked cases, pinned library differences, input checks."""

from __future__ import annotations

import copy
import json

import pytest

from detseg.evaluation import coco_evaluate

BACKENDS = ["pycocotools", "faster"]
# pycocotools computes precision as tp / (tp + fp + eps): a perfect precision is
# 0.9999999999999998 there and 1.0 in faster-coco-eval.
EPS = 1e-12


def _gt() -> dict:
    """Two images, one small (10x10) and one medium (40x40) object of class 1, none large."""
    return {
        "images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [0, 0, 10, 10],
                "area": 100.0,
                "iscrowd": 0,
            },
            {
                "id": 2,
                "image_id": 2,
                "category_id": 1,
                "bbox": [50, 50, 40, 40],
                "area": 1600.0,
                "iscrowd": 0,
            },
        ],
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    }


def _perfect() -> list[dict]:
    return [
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
        {"image_id": 2, "category_id": 1, "bbox": [50, 50, 40, 40], "score": 0.8},
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_perfect_detections(backend: str) -> None:
    result = coco_evaluate(_gt(), _perfect(), backend=backend)
    for key in ["AP", "AP50", "AP75", "APs", "APm", "AR1", "AR10", "AR100", "ARs", "ARm"]:
        assert result[key] == pytest.approx(1.0, abs=EPS), key
    # No large object and no ground truth of "dog": -1, as pycocotools reports it.
    assert result["APl"] == -1.0 and result["ARl"] == -1.0
    assert result["per_class"]["cat"] == pytest.approx(
        {"AP": 1.0, "AP50": 1.0, "AR100": 1.0}, abs=EPS
    )
    assert result["per_class"]["dog"] == {"AP": -1.0, "AP50": -1.0, "AR100": -1.0}


@pytest.mark.parametrize("backend", BACKENDS)
def test_half_recall_hand_computed(backend: str) -> None:
    # Only the small object found, one medium false positive ranked first on image 2.
    # Per IoU threshold: ranks [FP, TP], 2 positives -> precision envelope 0.5 up
    # to recall 0.5, then 0: AP = 51 recall points (0, 0.01, .., 0.5) * 0.5 / 101.
    # Small range: the medium FP is outside it and ignored -> APs = 1. Medium range:
    # the TP matched a small (ignored) object, only the FP counts -> APm = 0.
    dets = [
        {"image_id": 2, "category_id": 1, "bbox": [0, 50, 40, 40], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5},
    ]
    result = coco_evaluate(_gt(), dets, backend=backend)
    assert result["AP"] == pytest.approx(51 * 0.5 / 101, abs=EPS)
    assert result["AR100"] == 0.5 and result["AR1"] == 0.5
    assert result["APs"] == pytest.approx(1.0, abs=EPS) and result["APm"] == 0.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_detections_give_zero_where_gt_exists(backend: str) -> None:
    result = coco_evaluate(_gt(), [], backend=backend)
    expected = {k: 0.0 for k in ["AP", "AP50", "AP75", "APs", "APm", "AR1", "AR10", "AR100"]}
    expected.update(ARs=0.0, ARm=0.0, APl=-1.0, ARl=-1.0)
    assert {k: v for k, v in result.items() if k != "per_class"} == expected
    assert result["per_class"]["cat"] == {"AP": 0.0, "AP50": 0.0, "AR100": 0.0}


@pytest.mark.parametrize("max_dets", [(1, 10, 300), (1, 5, 20)])
def test_custom_max_dets_give_the_same_numbers_on_both_backends(max_dets) -> None:
    # pycocotools' summarize reads AP at maxDets=100 (-1 without it); both backends read it
    # at max_dets[-1], like AP50 ... APl
    gt, dets = _gt(), _perfect()
    reference = coco_evaluate(gt, dets, backend="pycocotools", max_dets=max_dets)
    fast = coco_evaluate(gt, dets, backend="faster", max_dets=max_dets)
    assert f"AR{max_dets[-1]}" in reference and "AR100" not in reference
    assert reference["AP"] == pytest.approx(1.0, abs=EPS)
    assert reference.keys() == fast.keys()
    for key in reference.keys() - {"per_class"}:
        assert reference[key] == pytest.approx(fast[key], abs=EPS), key
    expected = {"AP": 1.0, "AP50": 1.0, f"AR{max_dets[-1]}": 1.0}
    assert reference["per_class"]["cat"] == pytest.approx(expected, abs=EPS)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ap_is_read_at_the_last_max_dets_like_ap50(backend: str) -> None:
    # 100 misses scored above the one hit: AP at 100 detections would be 0, at 101 it is not
    gt = _gt()
    misses = [
        {"image_id": 1, "category_id": 1, "bbox": [60, 60, 5, 5], "score": 0.9} for _ in range(100)
    ]
    hit = {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.1}
    result = coco_evaluate(gt, [*misses, hit], backend=backend, max_dets=(1, 100, 101))
    assert result["AP50"] > 0 and result["AR101"] == 0.5
    assert result["AP"] == pytest.approx(result["AP50"], abs=EPS)  # the hit's IoU is 1


def test_max_dets_limits_recall() -> None:
    # Two objects on one image, the right one scored lower: AR1 sees only the wrong one.
    gt = _gt()
    gt["annotations"][1]["image_id"] = 1
    dets = [
        {"image_id": 1, "category_id": 1, "bbox": [60, 0, 10, 10], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.8},
        {"image_id": 1, "category_id": 1, "bbox": [50, 50, 40, 40], "score": 0.7},
    ]
    for backend in BACKENDS:
        result = coco_evaluate(gt, dets, backend=backend, max_dets=(1, 2, 100))
        assert (result["AR1"], result["AR2"], result["AR100"]) == (0.0, 0.5, 1.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_inputs_are_not_modified_and_json_path_works(backend: str, tmp_path) -> None:
    gt, dets = _gt(), _perfect()
    gt_before, dets_before = copy.deepcopy(gt), copy.deepcopy(dets)
    from_dict = coco_evaluate(gt, dets, backend=backend)
    assert gt == gt_before and dets == dets_before
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(gt))
    assert coco_evaluate(str(path), dets, backend=backend) == from_dict


def test_no_library_output_on_stdout(capsys) -> None:
    for backend in BACKENDS:
        coco_evaluate(_gt(), _perfect(), backend=backend)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"iou_type": "keypoints"}, "iou_type"),
        ({"backend": "detectron"}, "backend"),
        ({"max_dets": (1, 10)}, "max_dets"),
        ({"max_dets": (10, 1, 100)}, "max_dets"),
    ],
)
def test_bad_arguments_raise(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        coco_evaluate(_gt(), _perfect(), **kwargs)


def test_bad_inputs_raise() -> None:
    dets = _perfect() + [{"image_id": 7, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.1}]
    with pytest.raises(ValueError, match="image_id 7"):
        coco_evaluate(_gt(), dets)
    with pytest.raises(ValueError, match="segmentation"):
        coco_evaluate(_gt(), _perfect(), iou_type="segm")
    gt = _gt()
    gt["annotations"][0]["area"] = "large"  # a missing area is filled, a bad one refused
    with pytest.raises(ValueError, match="area"):
        coco_evaluate(gt, _perfect())
    with pytest.raises(ValueError, match="categories"):
        coco_evaluate({"images": [], "annotations": []}, [])


def test_duplicate_category_names_are_disambiguated() -> None:
    gt = _gt()
    gt["categories"][1]["name"] = "cat"
    per_class = coco_evaluate(gt, _perfect())["per_class"]
    assert set(per_class) == {"cat (id 1)", "cat (id 2)"}
    assert per_class["cat (id 1)"]["AR100"] == 1.0 and per_class["cat (id 2)"]["AR100"] == -1.0


def test_category_names_are_stripped_as_the_readers_strip_them() -> None:
    """A per-class row of a padded json name is the class a checkpoint trained on it names."""
    gt = _gt()
    gt["categories"][0]["name"] = " cat "
    gt["categories"][1]["name"] = "  "
    per_class = coco_evaluate(gt, _perfect())["per_class"]
    assert set(per_class) == {"cat", "2"}
