"""Ctrl-C while ``detect_images`` (``tools/infer.py`` on images) runs keeps the work done:
``predictions.json`` holds the detections of every image drawn so far (a video or a camera
stopped by Ctrl-C keeps its frames so far likewise), and the interrupt still ends the run."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import torch

import detseg
from detseg.api.image_outputs import detect_images
from detseg.api.inputs import InputImage


def _two_images_then_ctrl_c(tmp_path) -> Iterator[InputImage]:
    for i in range(2):
        yield InputImage(torch.full((3, 40, 48), 0.3 + 0.2 * i), tmp_path / f"p{i}.png")
    raise KeyboardInterrupt


def test_the_images_done_before_ctrl_c_are_in_predictions_json(detector_checkpoint, tmp_path):
    predictor = detseg.load(detector_checkpoint, "cpu")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        detect_images(predictor, _two_images_then_ctrl_c(tmp_path), out, 0.0)
    records = json.loads((out / "predictions.json").read_text())
    assert sorted({r["image_id"] for r in records}) == [1, 2]
    assert sorted(p.name for p in out.glob("p*.png")) == ["p0.png", "p1.png"]
