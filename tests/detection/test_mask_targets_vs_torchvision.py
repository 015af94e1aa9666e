"""Mask R-CNN's mask targets and pasted masks against torchvision's functions on random cases:
proposals partly or wholly outside the image, masks resized up and down with the image, boxes
outside the image, boxes under a pixel, odd image sizes, and the ``> 0.5`` binarisation; the
masks a COCO json gives against pycocotools' ``annToMask``."""

from __future__ import annotations

import json

import cv2
import numpy as np
import torch
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from torchvision.models.detection import roi_heads as tv_roi_heads

from detseg.data import CocoDetection
from detseg.detection.mask_head import paste_masks_in_image, project_masks_on_boxes


def _random_boxes(generator, num, height, width, scale):
    """xyxy boxes from 30% before to 130% past the image, sides up to ``scale`` x the image."""
    size = torch.tensor([width, height], dtype=torch.float32)
    corner = torch.rand(num, 2, generator=generator) * 1.6 * size - 0.3 * size
    side = torch.rand(num, 2, generator=generator) ** 3 * scale * size + 0.05
    return torch.cat([corner, corner + side], dim=1)


def test_mask_targets_equal_torchvisions_on_random_cases():
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        height, width = (int(v) for v in torch.randint(5, 40, (2,), generator=generator))
        resized = tuple(int(v) for v in torch.randint(5, 60, (2,), generator=generator))
        num = int(torch.randint(1, 4, (1,), generator=generator))
        gt = (torch.rand(num, height, width, generator=generator) > 0.5).to(torch.uint8)
        boxes = _random_boxes(generator, 6, *resized, scale=1.0)
        matched = torch.randint(0, num, (6,), generator=generator)
        have = project_masks_on_boxes(gt, resized, boxes, matched, 28)
        # torchvision's transform resizes the target masks (nearest) with the image
        masks = torch.nn.functional.interpolate(gt[:, None].float(), size=resized)[:, 0].byte()
        want = tv_roi_heads.project_masks_on_boxes(masks, boxes, matched, 28)
        assert torch.equal(have, want)
    # a box wholly outside the image has an all-zero target
    outside = torch.tensor([[50.0, 50.0, 70.0, 60.0], [-30.0, -20.0, -1.0, -2.0]])
    ones = torch.ones(1, 20, 30, dtype=torch.uint8)
    zeros = project_masks_on_boxes(ones, (20, 30), outside, torch.zeros(2, dtype=torch.int64), 28)
    assert zeros.shape == (2, 28, 28) and not zeros.any()


def _torchvision_paste(masks, boxes, image_size):
    """torchvision's ``paste_masks_in_image`` one mask at a time; zeros where it fails (it
    cannot slice a box wholly outside the image)."""
    rows = []
    for mask, box in zip(masks, boxes, strict=True):
        try:
            rows.append(tv_roi_heads.paste_masks_in_image(mask[None], box[None], image_size))
        except RuntimeError:
            x1, y1, x2, y2 = tv_roi_heads.expand_boxes(box[None], 30 / 28).to(torch.int64)[0]
            assert x1 >= image_size[1] or y1 >= image_size[0] or x2 < 0 or y2 < 0  # outside
            rows.append(torch.zeros(1, 1, *image_size))
    return torch.cat(rows)


def test_pasted_masks_equal_torchvisions_on_random_cases():
    generator = torch.Generator().manual_seed(0)
    for _ in range(40):
        height, width = (int(v) for v in torch.randint(1, 50, (2,), generator=generator))
        masks = torch.rand(5, 1, 28, 28, generator=generator)
        boxes = _random_boxes(generator, 5, height, width, scale=1.5)
        have = paste_masks_in_image(masks, boxes, (height, width))
        want = _torchvision_paste(masks, boxes, (height, width))
        assert have.shape == want.shape == (5, 1, height, width)
        torch.testing.assert_close(have, want, atol=1e-6, rtol=0)
        assert torch.equal(have > 0.5, want > 0.5)
        assert torch.equal(have != 0, want != 0)
    # wholly outside the image (past the far edges too): nothing is pasted
    boxes = torch.tensor(
        [[60.0, 5.0, 80.0, 9.0], [3.0, 40.0, 9.0, 70.0], [-20.0, -9.0, -5.0, -3.0]]
    )
    assert not paste_masks_in_image(torch.ones(3, 1, 28, 28), boxes, (31, 47)).any()


def test_coco_masks_equal_pycocotools_ann_to_mask(tmp_path):
    height, width = 37, 53
    (tmp_path / "images").mkdir()
    image = np.random.default_rng(0).integers(0, 256, (height, width, 3), np.uint8)
    assert cv2.imwrite(str(tmp_path / "images" / "a.png"), image)
    disc = np.zeros((height, width), np.uint8)
    cv2.circle(disc, (30, 20), 9, 1, -1)
    compressed = mask_utils.encode(np.asfortranarray(disc))
    flat = disc.flatten(order="F")
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    counts = [0, *np.diff(bounds).tolist()] if flat[0] else np.diff(bounds).tolist()
    segmentations = [
        # two parts, apart, at fractional coordinates
        [[2.3, 2.7, 20.5, 2.1, 11, 15.9], [30.2, 10.1, 48.5, 12.2, 40.4, 31.6, 33.3, 25.0]],
        {"size": [height, width], "counts": compressed["counts"].decode()},
        {"size": [height, width], "counts": counts},  # uncompressed, as crowds have it
        # the whole image with a part inside it: the union
        [[0, 0, 53, 0, 53, 37, 0, 37], [10, 10, 20, 10, 20, 20, 10, 20]],
    ]
    boxes = [[2, 2, 46.5, 30], [21, 11, 19, 19], [21, 11, 19, 19], [0, 0, 52.9, 36.9]]
    anns = [
        {"id": i + 1, "image_id": 1, "category_id": 1, "bbox": box, "area": 1.0}
        | {"iscrowd": int(i == 2), "segmentation": segm}
        for i, (box, segm) in enumerate(zip(boxes, segmentations, strict=True))
    ]
    data = {
        "images": [{"id": 1, "file_name": "a.png", "height": height, "width": width}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "thing"}],
    }
    (tmp_path / "ann.json").write_text(json.dumps(data))
    _, target = CocoDetection(tmp_path / "images", tmp_path / "ann.json", load_masks=True)[0]
    coco = COCO(str(tmp_path / "ann.json"))
    want = np.stack([coco.annToMask(ann) for ann in coco.loadAnns([1, 2, 3, 4])])
    assert target["masks"].shape == (4, height, width)
    assert np.array_equal(target["masks"].numpy(), want)
    assert target["iscrowd"].tolist() == [0, 0, 1, 0]
