"""Numpy scalars in COCO results and ground truth are numbers, as pycocotools reads them.

Results built from arrays (``boxes[i]``, ``scores[i]``, ``labels[i]`` without ``.item()``)
carry ``np.int64`` ids and ``np.float32`` scores and coordinates. pycocotools and
faster-coco-eval evaluate them like the Python numbers they hold; the input checks of
``coco_checks`` refused them ("has image_id 1; expected an integer"). Each generated case is
evaluated with numpy-typed and with plain inputs: the numbers must be the same, and equal to
pycocotools used directly.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from pycocotools_reference import pycocotools_eval

from detseg.evaluation import coco_evaluate
from detseg.evaluation.detection_confusion import detection_confusion
from detseg.evaluation.voc_coco import voc_evaluate_coco

KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def _case(seed: int) -> tuple[dict, list[dict]]:
    """Plain-Python gt and results: 3 images, 2 categories, crowd objects, jittered hits and
    random false positives with tied scores."""
    rng = np.random.default_rng(seed)
    images = [{"id": i, "width": 120, "height": 100} for i in (1, 2, 3)]
    anns, dets = [], []
    for image in images:
        for _ in range(int(rng.integers(1, 8))):
            x, y = rng.uniform(0, 60, 2)
            w, h = rng.uniform(8, 50, 2)
            box = [float(x), float(y), float(w), float(h)]
            cat = int(rng.integers(1, 3))
            crowd = int(rng.random() < 0.15)
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": image["id"],
                    "category_id": cat,
                    "bbox": box,
                    "area": w * h,
                    "iscrowd": crowd,
                }
            )
            for _ in range(int(rng.integers(0, 3))):
                jitter = rng.normal(0, 3, 4)
                det_box = [float(v) for v in np.maximum(np.array(box) + jitter, 1.0)]
                dets.append({"image_id": image["id"], "category_id": cat, "bbox": det_box})
        for _ in range(int(rng.integers(0, 4))):
            x, y = rng.uniform(0, 60, 2)
            w, h = rng.uniform(8, 50, 2)
            box = [float(x), float(y), float(w), float(h)]
            dets.append(
                {"image_id": image["id"], "category_id": int(rng.integers(1, 3)), "bbox": box}
            )
    for det in dets:
        det["score"] = float(round(rng.uniform(0, 1), 1))
    categories = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    return {"images": images, "annotations": anns, "categories": categories}, dets


def _numpy_typed(gt: dict, dets: list[dict]) -> tuple[dict, list[dict]]:
    """The same inputs with numpy scalars where arrays would hand them out."""
    gt = copy.deepcopy(gt)
    for ann in gt["annotations"]:
        ann["image_id"], ann["category_id"] = (
            np.int64(ann["image_id"]),
            np.int32(ann["category_id"]),
        )
        ann["area"] = np.float64(ann["area"])
        ann["iscrowd"] = np.uint8(ann["iscrowd"])
    typed = []
    for det in dets:
        typed.append(
            {
                "image_id": np.int64(det["image_id"]),
                "category_id": np.int64(det["category_id"]),
                # float32 values chosen exactly representable so both inputs hold the same numbers
                "bbox": [np.float32(v) for v in det["bbox"]],
                "score": np.float32(det["score"]),
            }
        )
    return gt, typed


def _as_float32_exact(dets: list[dict]) -> list[dict]:
    """Plain-Python results holding exactly the float32 values of :func:`_numpy_typed`."""
    return [
        {
            **det,
            "bbox": [float(np.float32(v)) for v in det["bbox"]],
            "score": float(np.float32(det["score"])),
        }
        for det in dets
    ]


@pytest.mark.parametrize("seed", range(4))
def test_numpy_scalars_evaluate_like_python_numbers(seed: int) -> None:
    gt, dets = _case(seed)
    dets = _as_float32_exact(dets)
    np_gt, np_dets = _numpy_typed(gt, dets)
    # pycocotools takes numpy scalars as they are
    reference = pycocotools_eval(np_gt, np_dets).stats.tolist()
    assert reference == pycocotools_eval(gt, dets).stats.tolist()
    for backend in ("pycocotools", "faster"):
        plain = coco_evaluate(gt, dets, backend=backend)
        typed = coco_evaluate(np_gt, np_dets, backend=backend)
        assert typed == plain, backend
        assert [typed[k] for k in KEYS] == pytest.approx(reference, abs=1e-12), backend
    for metric in ("voc07", "voc12"):
        assert voc_evaluate_coco(np_gt, np_dets, metric) == voc_evaluate_coco(gt, dets, metric)
    np.testing.assert_array_equal(
        detection_confusion(np_gt, np_dets).matrix, detection_confusion(gt, dets).matrix
    )


def test_numpy_bools_and_non_finite_numpy_values_are_still_refused() -> None:
    gt, dets = _case(0)
    with pytest.raises(ValueError, match="score"):
        coco_evaluate(gt, [{**dets[0], "score": np.float32("nan")}])
    with pytest.raises(ValueError, match="image_id"):
        coco_evaluate(gt, [{**dets[0], "image_id": np.float64(1.5)}])
    with pytest.raises(ValueError, match="category_id"):
        coco_evaluate(gt, [{**dets[0], "category_id": np.bool_(True)}])
