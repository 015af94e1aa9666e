"""Shapes datasets for the dataset checks: a clean one and one with known problems.

``broken_root`` is a copy of the clean dataset with these problems injected (64 px images):

=========================================  =================================================
train/images/000001.png                    not an image (garbage bytes): header check finds it
train/images/000007.png                    truncated PNG: only a full decode finds it
train/images/000002.png                    first box moved to x 50..80 (outside the image)
train/images/000003.png                    first box of zero width (degenerate)
train/images/000004.png                    all annotations removed (empty image)
train/images/000008.png                    a copy of train 000006 (duplicate contents)
train/images/extra/000000.png              other pixels, no objects (duplicate file name)
val/images/000002.png                      a copy of train 000005 (train/val overlap)
=========================================  =================================================
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import pytest

from detseg.data.shapes import generate_shapes, render_image

SIZE = 64


def _edit_train_json(root: Path) -> None:
    path = root / "annotations" / "instances_train.json"
    coco = json.loads(path.read_text())
    ids = {img["file_name"]: img["id"] for img in coco["images"]}
    anns = coco["annotations"]
    first = {}
    for ann in anns:
        first.setdefault(ann["image_id"], ann)
    first[ids["000002.png"]]["bbox"] = [50, 10, 30, 20]
    first[ids["000003.png"]]["bbox"] = [10, 10, 0, 5]
    coco["annotations"] = [a for a in anns if a["image_id"] != ids["000004.png"]]
    coco["images"].append(
        {"id": 1000, "file_name": "extra/000000.png", "height": SIZE, "width": SIZE}
    )
    path.write_text(json.dumps(coco))


@pytest.fixture(scope="session")
def shapes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean shapes dataset: 10 train and 4 val images of 64 px."""
    root = tmp_path_factory.mktemp("clean") / "shapes"
    generate_shapes(root, num_train=10, num_val=4, size=SIZE, seed=3)
    return root


@pytest.fixture(scope="session")
def broken_root(shapes_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``shapes_root`` with the problems of the module docstring."""
    root = tmp_path_factory.mktemp("broken") / "shapes"
    shutil.copytree(shapes_root, root)
    train = root / "train" / "images"
    # Every image of the edits below has objects in the generated data (seed 3).
    train.joinpath("000001.png").write_bytes(b"this is not an image")
    png = train.joinpath("000007.png").read_bytes()
    train.joinpath("000007.png").write_bytes(png[: len(png) // 2])
    shutil.copy(train / "000006.png", train / "000008.png")
    (train / "extra").mkdir()
    other = render_image(seed=99, split="train", index=0, size=SIZE).image
    cv2.imwrite(str(train / "extra" / "000000.png"), other[:, :, ::-1])
    shutil.copy(train / "000005.png", root / "val" / "images" / "000002.png")
    _edit_train_json(root)
    return root
