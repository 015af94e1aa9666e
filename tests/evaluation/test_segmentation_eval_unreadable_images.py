"""A segmenter's evaluation whose val split has an unreadable image scores the others and says
so: the heading counts the images left out beside those scored, and ``metrics.json``'s ``info``
holds the count, so that "on 2 images" of a 3-image split is not read as the whole split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from random_checkpoints import TINY_UNET, write_checkpoint

from detseg.data.shapes import generate_shapes
from detseg.evaluation import checkpoint_eval


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory) -> Path:
    """A random-weight U-Net checkpoint whose val split is 3 generated 64 px shapes images."""
    root = tmp_path_factory.mktemp("seg_unreadable")
    generate_shapes(root / "shapes", num_train=1, num_val=3, size=64, seed=0)
    config = "configs/segmentation/unet_shapes.yaml"
    return write_checkpoint(root / "best.pt", config, [*TINY_UNET, f"data.root={root / 'shapes'}"])


def _val_images(checkpoint: Path) -> list[Path]:
    return sorted((checkpoint.parent / "shapes" / "val" / "images").iterdir())


def test_the_heading_and_info_count_the_unreadable_images(segmenter, tmp_path):
    broken = _val_images(segmenter)[1]
    content = broken.read_bytes()
    broken.write_bytes(b"not a png")
    try:
        summary = checkpoint_eval.evaluate_checkpoint(segmenter, tmp_path / "eval")
    finally:
        broken.write_bytes(content)
    assert summary.heading.endswith(
        "on 2 images (1 of the 3 left out as unreadable; the warnings above name it)"
    )
    info = json.loads((tmp_path / "eval" / "metrics.json").read_text())["info"]
    assert info["images"] == 2 and info["unreadable_images"] == 1


def test_a_split_read_whole_has_no_note(segmenter, tmp_path):
    summary = checkpoint_eval.evaluate_checkpoint(segmenter, tmp_path / "eval")
    assert summary.heading.endswith("on 3 images")
    info = json.loads((tmp_path / "eval" / "metrics.json").read_text())["info"]
    assert info["unreadable_images"] == 0
