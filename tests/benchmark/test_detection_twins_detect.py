"""The detection twins of the benchmarks detect something with random weights (score threshold
0 on both sides), so that their parity check compares detections and their inference timing
runs the box decoding and NMS; a check that compared nothing says so."""

from __future__ import annotations

import pytest
import torch

from detseg.benchmark import detection_vs_torchvision
from detseg.benchmark.model_vs_torchvision import benchmark_model, format_model_report
from detseg.benchmark.twins import TWIN_SCORE_THRESH, detection_twins


@pytest.mark.parametrize(
    ("arch", "limit"),
    [("fasterrcnn_mobilenet_v3_large_320_fpn", 100), ("retinanet_resnet50_fpn", 300)],
)
def test_twins_return_their_full_detection_count(arch, limit, one_thread):
    torch.manual_seed(0)
    twin, ours = detection_twins(arch, 64, torch.device("cpu"))
    twin.eval()
    ours.eval()
    images = [torch.rand(3, 64, 64), torch.rand(3, 64, 80)]
    with torch.no_grad():
        reference, predicted = twin(images), ours.predict(images)
    assert [len(d["labels"]) for d in reference] == [limit, limit]
    assert detection_vs_torchvision.detections_agree(reference, predicted)
    assert TWIN_SCORE_THRESH == 0.0


def test_a_check_that_compared_nothing_says_so(one_thread, monkeypatch):
    def detecting_nothing(*args, **kwargs):
        twin, ours = detection_twins(*args, **kwargs)
        ours.score_thresh = twin.score_thresh = 1.0  # no score passes
        return twin, ours

    monkeypatch.setattr(detection_vs_torchvision, "detection_twins", detecting_nothing)
    result = benchmark_model("ssdlite320_mobilenet_v3_large", size=64, batch=2, repeats=1)
    assert result.detections_agree is None
    assert result.detections_per_image == [0, 0]
    report = format_model_report(result)
    assert "batch 2 x 64 px (resized to 320 by the SSD) on cpu" in report[0]
    assert "same detections: not checked (neither model detected anything on the batch)" in report
