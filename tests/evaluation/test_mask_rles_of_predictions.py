"""Mask R-CNN predictions in the COCO results: the RLEs decode to the pasted masks binarised at
``> mask_threshold`` (probabilities of any float dtype, bfloat16 too), and mask AP on those
results equals pycocotools."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils
from pycocotools_reference import pycocotools_eval
from tiny_mask_rcnn import SMALL_MASK_RCNN

from detseg.engine.validation import COCO_KEYS
from detseg.evaluation import coco_evaluate, predictions_to_coco_results
from detseg.evaluation.coco_format import masks_to_rles

SMALL = {
    **SMALL_MASK_RCNN,
    "rpn": {"post_nms_top_n_test": 30},
    "roi_heads": {"detections_per_img": 8, "score_thresh": 0.0},
}


def _model():
    from detseg.detection.mask_rcnn import mask_rcnn

    torch.manual_seed(0)
    return mask_rcnn(2, **SMALL).eval()


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return [torch.rand(3, 45, 61, generator=generator), torch.rand(3, 52, 37, generator=generator)]


@pytest.fixture(scope="module")
def predictions() -> tuple[list[torch.Tensor], list[dict[str, torch.Tensor]]]:
    images = _images()
    with torch.no_grad():
        return images, _model().predict(images)


def _decoded(results: list[dict], image_id: int) -> np.ndarray:
    rles = [r["segmentation"] for r in results if r["image_id"] == image_id]
    return np.stack([mask_utils.decode(rle) for rle in rles])


def test_rles_decode_to_the_pasted_masks_above_the_threshold(predictions):
    images, outputs = predictions
    results = predictions_to_coco_results([1, 2], outputs, mask_threshold=0.5)
    for image_id, (image, output) in enumerate(zip(images, outputs, strict=True), start=1):
        masks = output["masks"]
        assert masks.shape == (len(output["boxes"]), 1, *image.shape[-2:])
        assert len(output["boxes"]) > 0
        want = (masks[:, 0] > 0.5).numpy().astype(np.uint8)
        assert np.array_equal(_decoded(results, image_id), want)


def test_the_threshold_is_strict_and_any_float_dtype_is_encoded():
    probabilities = torch.tensor([[[0.5, 0.53, 0.25], [1.0, 0.0, 0.75]]])
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        masks = probabilities.to(dtype)[:, None]  # [1, 1, 2, 3]
        rle = masks_to_rles(masks, 1)[0]
        assert isinstance(rle["counts"], str)
        want = (masks[0, 0] > 0.5).numpy().astype(np.uint8)
        assert np.array_equal(mask_utils.decode(rle), want), dtype
        assert mask_utils.decode(rle).tolist() == [[0, 1, 0], [1, 0, 1]]


def test_predictions_of_a_bf16_autocast_run_become_results():
    images = _images()[:1]
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        outputs = _model().predict(images)
    output = outputs[0]
    assert output["masks"].dtype == torch.bfloat16 and len(output["boxes"]) > 0
    results = predictions_to_coco_results([1], outputs)
    want = (output["masks"][:, 0] > 0.5).numpy().astype(np.uint8)
    assert np.array_equal(_decoded(results, 1), want)
    boxes = output["boxes"].float()
    assert [r["bbox"][:2] for r in results] == boxes[:, :2].tolist()
    assert [r["score"] for r in results] == output["scores"].float().tolist()


def test_mask_ap_of_the_predictions_equals_pycocotools(predictions):
    images, outputs = predictions
    results = predictions_to_coco_results([1, 2], outputs)
    # ground truth: the thresholded masks of a few detections, plus a crowd region
    annotations = []
    for image_id, output in enumerate(outputs, start=1):
        binary = (output["masks"][:, 0] > 0.5).numpy().astype(np.uint8)
        for k in range(0, len(binary), 3):
            if binary[k].any():
                annotations.append((image_id, binary[k], int(output["labels"][k]), 0))
    crowd = np.zeros(images[0].shape[-2:], dtype=np.uint8)
    crowd[5:30, 10:40] = 1
    annotations.append((1, crowd, 1, 1))
    assert len(annotations) >= 3
    gt = {
        "images": [
            {"id": i, "height": int(im.shape[-2]), "width": int(im.shape[-1])}
            for i, im in enumerate(images, start=1)
        ],
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
        "annotations": [],
    }
    for ann_id, (image_id, mask, label, crowd_flag) in enumerate(annotations, start=1):
        rle = masks_to_rles(mask[None], 1)[0]
        x, y, w, h = (float(v) for v in mask_utils.toBbox(rle))
        gt["annotations"].append(
            {
                "id": ann_id,
                "image_id": image_id,
                "category_id": label,
                "bbox": [x, y, w, h],
                "area": float(mask.sum()),
                "iscrowd": crowd_flag,
                "segmentation": rle,
            }
        )
    stats = pycocotools_eval(gt, results, "segm").stats
    assert stats[0] > 0
    for backend in ("faster", "pycocotools"):
        metrics = coco_evaluate(gt, results, iou_type="segm", backend=backend)
        for key, value in zip(COCO_KEYS, stats, strict=True):
            assert metrics[key] == pytest.approx(float(value), abs=1e-12), (backend, key)
