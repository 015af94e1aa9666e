"""Detectors given float64 images (``torch.from_numpy(array / 255)``): the transform brings them
to the model's dtype, so they detect as the same images in float32 do."""

from __future__ import annotations

import torch

from detseg.detection.yolo import yolo


def test_float64_images_detect_as_float32_images():
    torch.manual_seed(0)
    model = yolo(2, version="v3", input_size=64, head_channels=16, neck_channels=16).eval()
    model.score_thresh = 0.0
    images = [torch.rand(3, 50, 80, dtype=torch.float64), torch.rand(3, 70, 60).double()]
    with torch.no_grad():
        expected = model([image.float() for image in images])
        detections = model(images)
    for det, ref in zip(detections, expected, strict=True):
        assert det["boxes"].dtype == torch.float32 and len(det["boxes"]) > 0
        for key in ("boxes", "scores", "labels"):
            torch.testing.assert_close(det[key], ref[key])
    losses = model.losses(
        images, [{"boxes": torch.tensor([[5.0, 5.0, 40.0, 30.0]]), "labels": torch.tensor([1])}] * 2
    )
    assert all(v.dtype == torch.float32 and torch.isfinite(v) for v in losses.values())
