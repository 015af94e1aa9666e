"""A result shows itself as its drawing in a notebook: ``_repr_png_`` (what Jupyter and VS Code
call to display an object) gives the PNG of ``plot()``, the same pixels."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from detseg.api.results import DetectionResult, SegmentationResult


def _decoded(png: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def test_a_detection_result_displays_its_plot():
    image = np.zeros((40, 60, 3), np.uint8)
    result = DetectionResult(
        boxes=torch.tensor([[5.0, 5.0, 30.0, 25.0]]),
        scores=torch.tensor([0.9]),
        labels=torch.tensor([1]),
        classes=["cat"],
        image=image,
    )
    png = result._repr_png_()
    assert png.startswith(b"\x89PNG")
    assert np.array_equal(_decoded(png), result.plot())


def test_a_segmentation_result_displays_its_plot_with_the_legend():
    mask = torch.zeros(40, 60, dtype=torch.int64)
    mask[10:30, 10:40] = 1
    probabilities = torch.stack([(mask == 0).float(), (mask == 1).float()])
    result = SegmentationResult(
        mask=mask,
        probabilities=probabilities,
        classes=["cat"],
        image=np.zeros((40, 60, 3), np.uint8),
    )
    shown = _decoded(result._repr_png_())
    assert np.array_equal(shown, result.plot())
    assert shown.shape[1] > 60  # the legend panel beside the image


def test_png_bytes_takes_what_the_drawings_give_only():
    import pytest

    from detseg.visualize import png_bytes

    for bad in (np.zeros((4, 4, 3), np.float32), np.zeros((4, 4), np.uint8)):
        with pytest.raises(ValueError, match=r"^png_bytes takes uint8 \[H, W, 3\] RGB, got "):
            png_bytes(bad)
