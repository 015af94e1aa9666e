"""Which area sorts an object into small / medium / large in mask AP, as pycocotools reads it:
a ground-truth annotation's ``area`` field (not its mask's pixels), a result's box ``w * h`` when
it has a ``bbox`` (detseg's own results have one) and its mask's pixels when it has none. Both
backends give pycocotools' numbers for each; a dataset's ground truth without ``area`` takes the
mask's pixel count when it has masks, as COCO's ``area`` and detseg's readers do."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils
from pycocotools_reference import pycocotools_eval

from detseg.evaluation import coco_evaluate, dataset_to_coco_gt, predictions_to_coco_results

KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
H, W = 200, 300


def _mask(x: int, y: int, w: int, h: int) -> np.ndarray:
    mask = np.zeros((H, W), np.uint8)
    mask[y : y + h, x : x + w] = 1
    return mask


def _rle(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask))
    return {"size": list(rle["size"]), "counts": rle["counts"].decode("ascii")}


def _gt() -> dict:
    """Two objects whose ``area`` field and mask disagree on the range: a 40 x 40 mask (medium
    by its pixels) of area 500 (small), a 20 x 20 mask (small) of area 5000 (medium)."""
    anns = [
        ((10, 10, 40, 40), 500.0),
        ((100, 100, 20, 20), 5000.0),
    ]
    return {
        "images": [{"id": 1, "width": W, "height": H}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [float(v) for v in box],
                "area": area,
                "iscrowd": 0,
                "segmentation": _rle(_mask(*box)),
            }
            for i, (box, area) in enumerate(anns)
        ],
    }


def _detections(with_bbox: bool) -> list[dict]:
    """Two hits and a top-scored miss whose box (10 x 10, small) and mask (35 x 35, medium)
    disagree on the range: it costs APs when the box decides and APm when the mask does."""
    specs = [
        ((10, 10, 40, 40), [10, 10, 20, 20], 0.9),
        ((100, 100, 20, 20), [100, 100, 100, 60], 0.8),
        ((200, 50, 35, 35), [200, 50, 10, 10], 0.95),
    ]
    dets = []
    for box, bbox, score in specs:
        det = {"image_id": 1, "category_id": 1, "score": score, "segmentation": _rle(_mask(*box))}
        if with_bbox:
            det["bbox"] = [float(v) for v in bbox]
        dets.append(det)
    return dets


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
@pytest.mark.parametrize("with_bbox", [True, False])
def test_area_ranges_are_pycocotools(backend, with_bbox):
    gt, dets = _gt(), _detections(with_bbox)
    reference = pycocotools_eval(gt, dets, "segm").stats
    ours = coco_evaluate(gt, dets, "segm", backend)
    _assert_pycocotools(ours, reference, backend)
    # the miss lands in the range of its box with a bbox, of its mask without
    expected = (0.5, 1.0) if with_bbox else (1.0, 0.5)
    assert (ours["APs"], ours["APm"]) == pytest.approx(expected, abs=1e-15)


def _assert_pycocotools(ours: dict, reference: np.ndarray, backend: str) -> None:
    """``ours`` is pycocotools' ``stats``: bit for bit with its backend, within 1e-15 with
    faster-coco-eval (test_coco_backend_differences.py)."""
    if backend == "pycocotools":
        assert [ours[k] for k in KEYS] == [float(v) for v in reference]
    else:
        assert [ours[k] for k in KEYS] == pytest.approx([float(v) for v in reference], abs=1e-15)


class _MaskDataset:
    """One 200 x 300 image with the two objects of :func:`_gt`, masks and no ``area``."""

    classes = ["a"]
    image_ids = [1]

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int):
        masks = np.stack([_mask(10, 10, 40, 40), _mask(100, 100, 20, 20)])
        masks[0, 10:30, 10:50] = 0  # the first mask fills half its box: 800 pixels
        target = {
            "boxes": torch.tensor([[10.0, 10.0, 50.0, 50.0], [100.0, 100.0, 120.0, 120.0]]),
            "labels": torch.tensor([1, 1]),
            "masks": torch.from_numpy(masks),
        }
        return torch.zeros(3, H, W), target


def test_dataset_ground_truth_without_area_takes_the_mask_pixels():
    gt = dataset_to_coco_gt(_MaskDataset())
    assert [a["area"] for a in gt["annotations"]] == [800.0, 400.0]
    assert [a["area"] for a in gt["annotations"]] == [
        float(mask_utils.area(a["segmentation"])) for a in gt["annotations"]
    ]


def test_detseg_results_carry_the_box_area_that_pycocotools_reads():
    prediction = {
        "boxes": torch.tensor([[200.0, 50.0, 210.0, 60.0]]),
        "scores": torch.tensor([0.95]),
        "labels": torch.tensor([1]),
        "masks": torch.from_numpy(_mask(200, 50, 35, 35)[None]),
    }
    (result,) = predictions_to_coco_results([1], [prediction])
    assert result["bbox"] == [200.0, 50.0, 10.0, 10.0]
    gt = _gt()
    for backend in ("faster", "pycocotools"):
        ours = coco_evaluate(gt, [result], "segm", backend)
        _assert_pycocotools(ours, pycocotools_eval(gt, [result], "segm").stats, backend)
