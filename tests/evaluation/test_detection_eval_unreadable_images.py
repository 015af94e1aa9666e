"""A detector's evaluation whose val split has an unreadable image scores the others and says so,
as the segmenter's does: the heading counts the images left out beside those scored,
``metrics.json``'s ``info`` holds the count, and the unreadable image's objects are not scored
(as missed detections)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from random_checkpoints import DETECTOR, write_checkpoint

from detseg.data.shapes import generate_shapes
from detseg.evaluation import checkpoint_detection_eval, checkpoint_eval


@pytest.fixture(scope="module")
def detector(tmp_path_factory) -> Path:
    """A random-weight detector checkpoint whose val split is 4 generated 64 px shapes images."""
    root = tmp_path_factory.mktemp("det_unreadable")
    generate_shapes(root / "shapes", num_train=1, num_val=4, size=64, seed=0)
    config = "configs/demo.yaml"
    return write_checkpoint(root / "best.pt", config, [*DETECTOR, f"data.root={root / 'shapes'}"])


def _val_images(checkpoint: Path) -> list[Path]:
    return sorted((checkpoint.parent / "shapes" / "val" / "images").iterdir())


def test_the_heading_and_info_count_the_unreadable_images(detector, tmp_path, monkeypatch):
    scored: list[dict] = []
    report = checkpoint_detection_eval.write_coco_report

    def keep_ground_truth(out, heading, gt, *args, **kwargs):
        scored.append(gt)
        return report(out, heading, gt, *args, **kwargs)

    monkeypatch.setattr(checkpoint_detection_eval, "write_coco_report", keep_ground_truth)
    broken = _val_images(detector)[1]
    content = broken.read_bytes()
    broken.write_bytes(b"not a png")
    try:
        summary = checkpoint_eval.evaluate_checkpoint(detector, tmp_path / "eval")
    finally:
        broken.write_bytes(content)
    assert summary.heading.endswith(
        "on 3 images (1 of the 4 left out as unreadable; the warnings above name it)"
    )
    info = json.loads((tmp_path / "eval" / "metrics.json").read_text())["info"]
    assert info["images"] == 3 and info["unreadable_images"] == 1
    names = [image["file_name"] for image in scored[0]["images"]]
    assert len(names) == 3 and not any(name.endswith(broken.name) for name in names)
    kept = {image["id"] for image in scored[0]["images"]}
    assert all(a["image_id"] in kept for a in scored[0]["annotations"])


def test_a_split_read_whole_has_no_note(detector, tmp_path):
    summary = checkpoint_eval.evaluate_checkpoint(detector, tmp_path / "eval")
    assert summary.heading.endswith("on 4 images")
    info = json.loads((tmp_path / "eval" / "metrics.json").read_text())["info"]
    assert info["images"] == 4 and info["unreadable_images"] == 0
