"""A detector's benchmark first checks that both twins detect the same, and says so."""

from __future__ import annotations

import torch

from detseg.benchmark import detection_vs_torchvision
from detseg.benchmark.model_vs_torchvision import (
    benchmark_model,
    format_model_report,
    outputs_agree,
)
from detseg.benchmark.twins import detection_twins

ARCH = "ssdlite320_mobilenet_v3_large"


def run(**settings):
    return benchmark_model(ARCH, size=64, batch=2, repeats=1, **settings)


def test_twins_with_the_same_weights_agree(one_thread):
    result = run()
    assert result.detections_agree is True
    assert outputs_agree(result)
    counts = ", ".join(str(c) for c in result.detections_per_image)
    assert result.detections_per_image == [300, 300]  # SSDlite's limit: the check compared
    line = f"same detections: True (eval mode, float32; {counts} detections per image)"
    assert line in format_model_report(result)


def test_a_detseg_model_that_detects_otherwise_is_reported(one_thread, monkeypatch):
    def changed_twins(*args, **kwargs):
        twin, ours = detection_twins(*args, **kwargs)
        predict = ours.predict

        def one_detection_less(images):
            return [{key: value[:-1] for key, value in det.items()} for det in predict(images)]

        ours.predict = one_detection_less
        return twin, ours

    monkeypatch.setattr(detection_vs_torchvision, "detection_twins", changed_twins)
    result = run()
    assert result.detections_agree is False
    assert not outputs_agree(result)
    assert "same detections: False (eval mode, float32; " in "\n".join(format_model_report(result))


def test_detections_agree_compares_count_labels_scores_and_boxes():
    ref = [
        {
            "labels": torch.tensor([1, 2]),
            "scores": torch.tensor([0.9, 0.5]),
            "boxes": torch.tensor([[0.0, 0, 4, 4], [1, 1, 5, 5]]),
        }
    ]
    same = detection_vs_torchvision.detections_agree
    assert same(ref, [dict(ref[0])])
    assert not same(ref, [])
    for key, value in [
        ("labels", torch.tensor([1, 3])),
        ("labels", torch.tensor([1])),
        ("scores", torch.tensor([0.9, 0.4])),
        ("boxes", torch.tensor([[0.0, 0, 4, 4], [1, 1, 5, 6]])),
    ]:
        assert not same(ref, [{**ref[0], key: value}]), key
