"""A box exactly 1 px wide or high is kept, whatever float round-off its coordinates carry.

``(cx + w / 2) * W - (cx - w / 2) * W`` for a 1-px YOLO box, or ``(x + 1) - x`` for ``x`` on a
decimal step, is often a few ulps under 1; such a box must not be dropped (and counted as a bad
box) for being "under 1 px". Boxes really under 1 px still are, and the dataset check's box
flags follow the same rule.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from detseg.data.target_checks import sanitize_boxes
from detseg.data.yolo import YoloTxtDetection
from detseg.dataset_check.box_flags import classify_boxes

W, H = 640, 48


def _unit_boxes(dtype) -> np.ndarray:
    """``[N, 4]`` boxes of exactly 1 x 1 px at x = 0, 0.1, 0.2, ... (decimal steps)."""
    x = np.arange(0, 600, 0.1)
    return np.stack([x, np.full_like(x, 3.0), x + 1, np.full_like(x, 4.0)], 1).astype(dtype)


def test_unit_boxes_on_decimal_steps_are_kept():
    for dtype in (np.float64, np.float32):
        boxes = _unit_boxes(dtype)
        _, keep = sanitize_boxes(boxes, (H, W))
        assert keep.all(), f"{dtype.__name__}: dropped {boxes[~keep][:3].tolist()}"
        assert not classify_boxes(boxes, (H, W)).dropped.any()


def test_boxes_under_one_pixel_are_still_dropped():
    boxes = np.array([[10, 10, 10.99, 20], [10, 10, 20, 10.99], [10, 10, 11, 11]], np.float64)
    _, keep = sanitize_boxes(boxes, (H, W))
    assert keep.tolist() == [False, False, True]
    np.testing.assert_array_equal(classify_boxes(boxes, (H, W)).dropped, ~keep)


def test_yolo_one_pixel_objects_are_kept(tmp_path, caplog):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.new("RGB", (W, H)).save(tmp_path / "images" / "a.png")
    lines = [f"0 {(k + 0.5) / W!r} 0.5 {1 / W!r} {1 / H!r}" for k in range(W)]
    (tmp_path / "labels" / "a.txt").write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING, logger="detseg.data"):
        _, target = YoloTxtDetection(tmp_path / "images", classes=["dot"])[0]
    assert target["dropped_boxes"] == 0
    assert len(target["boxes"]) == W
    widths = target["boxes"][:, 2] - target["boxes"][:, 0]
    assert np.allclose(widths.numpy(), 1.0, atol=1e-4)
    assert not [r for r in caplog.records if "dropped box" in r.getMessage()]
