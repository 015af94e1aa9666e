"""Fixtures of the dataset conversion tests: a small shapes dataset in COCO layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detseg.data.shapes import generate_shapes

#: Images added to the shapes train split: (file name, width, height, [(category id, bbox)]).
EXTRA_TRAIN_IMAGES = [
    # not square, fractional boxes: catches a swapped width / height and lost precision
    ("wide.png", 96, 64, [(2, [10.25, 5.5, 30.5, 24.6]), (5, [60.7, 30.2, 35.3, 33.8])]),
    ("empty.png", 80, 72, []),  # no objects: must survive every conversion
]


def _add_images(root: Path, split: str, extra: list) -> None:
    ann_file = root / "annotations" / f"instances_{split}.json"
    coco = json.loads(ann_file.read_text())
    rng = np.random.default_rng(0)
    for name, width, height, objects in extra:
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / split / "images" / name)
        image_id = max(image["id"] for image in coco["images"]) + 1
        coco["images"].append({"id": image_id, "file_name": name, "width": width, "height": height})
        for category_id, bbox in objects:
            ann_id = len(coco["annotations"]) + 1
            ann = {"id": ann_id, "image_id": image_id, "category_id": category_id, "bbox": bbox}
            coco["annotations"].append({**ann, "area": bbox[2] * bbox[3], "iscrowd": 0})
    ann_file.write_text(json.dumps(coco))


@pytest.fixture(scope="session")
def shapes_coco(tmp_path_factory) -> Path:
    """Shapes in COCO layout: train (10 images of 64 px + ``wide.png`` + ``empty.png``), val (3).

    Read-only: conversions write elsewhere.
    """
    root = tmp_path_factory.mktemp("shapes_coco")
    generate_shapes(root, num_train=10, num_val=3, size=64, seed=1)
    _add_images(root, "train", EXTRA_TRAIN_IMAGES)
    return root
