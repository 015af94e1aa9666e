"""SSD post-processing beside torchvision's, on the same head outputs: same detections."""

from __future__ import annotations

import pytest

from detseg.benchmark.ssd_postprocess import benchmark_ssd_postprocess, format_postprocess_report


def test_postprocess_gives_torchvision_detections():
    result = benchmark_ssd_postprocess("ssdlite320_mobilenet_v3_large", batch=1, repeats=1)
    assert result.same_detections
    # SSDlite320: 6 default boxes per cell of the 20, 10, 5, 3, 2 and 1 cell square maps
    assert result.default_boxes == 6 * sum(side**2 for side in (20, 10, 5, 3, 2, 1))
    assert result.classes == 90
    assert result.pairs_above_threshold > 0  # random weights: many boxes pass the threshold
    for times in (result.postprocess_ms, result.inference_ms):
        assert set(times) == {"torchvision", "detseg"} and all(t > 0 for t in times.values())
    out = "\n".join(format_postprocess_report(result))
    assert "same detections: True" in out and "post-processing share" in out


def test_postprocess_takes_ssd_archs_only():
    with pytest.raises(ValueError, match="unknown SSD architecture"):
        benchmark_ssd_postprocess("fasterrcnn_resnet50_fpn")
