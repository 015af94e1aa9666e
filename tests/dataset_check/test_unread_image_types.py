"""A YOLO images folder holding images of a type training does not list (a ``.gif``): the
check counts and names them, as training silently leaves them and their labels out."""

from __future__ import annotations

import numpy as np
from PIL import Image

from detseg.dataset_check import check_dataset, format_text_report


def _yolo_with_a_gif(root):
    images, labels = root / "images" / "train", root / "labels" / "train"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    for name in ("a.png", "b.gif", "sub/c.GIF"):
        (images / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((16, 20, 3), np.uint8)).save(images / name, format="PNG")
        (labels / name).with_suffix(".txt").parent.mkdir(parents=True, exist_ok=True)
        (labels / name).with_suffix(".txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (images / "notes.txt").write_text("not an image\n")
    (root / "classes.txt").write_text("x\n")
    return root


def test_images_of_unread_types_are_counted_and_named(tmp_path):
    root = _yolo_with_a_gif(tmp_path / "yolo")
    data = {"format": "yolo", "root": str(root), "val_images": "images/train"}
    check = check_dataset(data, ("train",), decode=False)
    summary = check.splits["train"]
    assert (summary["images"], summary["unread_image_files"]) == (1, 2)
    assert summary["unread_image_examples"] == ["images/train/b.gif", "images/train/sub/c.GIF"]
    (finding,) = [f for f in check.findings if f.code == "unread_image_files"]
    assert finding.severity == "warning"
    assert "type YOLO training does not read" in finding.message
    assert "unread_image_files: 2 image files" in format_text_report(check)
