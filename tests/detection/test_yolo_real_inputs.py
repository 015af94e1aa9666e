"""YOLO on inputs users give: an ``input_size`` that is not a multiple of the coarsest stride."""

from __future__ import annotations

import pytest
import torch

from detseg.detection.yolo import yolo


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_no_zero_area_boxes_from_cells_past_the_image(version):
    # 100 px over stride 32: the c5 grid has 4 cells covering 128 px (v1: 7 cells over the
    # padded 128 px), so the last cells decode past the image and clip to zero width/height
    torch.manual_seed(0)
    model = yolo(
        2,
        version=version,
        input_size=100,
        head_channels=16,
        inference={"score_thresh": 0.0, "pre_nms_top_n": 10**6, "max_detections": 10**6},
        **({"neck_channels": 16} if version == "v3" else {}),
    ).eval()
    with torch.no_grad():
        detections = model([torch.rand(3, 50, 80), torch.rand(3, 70, 60)])
    assert len(detections) == 2
    for det in detections:
        sides = det["boxes"][:, 2:] - det["boxes"][:, :2]
        assert len(sides) > 0
        assert (sides > 0).all(), f"{int((sides <= 0).any(dim=1).sum())} zero-area boxes"
