"""The SSD post-processing benchmark times both models interleaved, not one after the other."""

from __future__ import annotations

from detseg.benchmark import ssd_postprocess, throughput


def test_postprocess_and_inference_are_timed_interleaved(monkeypatch):
    seen: list[list[str]] = []
    real = throughput.measure_interleaved

    def spy(calls, *args, **kwargs):
        seen.append(list(calls))
        return real(calls, *args, **kwargs)

    monkeypatch.setattr(ssd_postprocess, "measure_interleaved", spy)
    ssd_postprocess.benchmark_ssd_postprocess("ssdlite320_mobilenet_v3_large", batch=1, repeats=1)
    assert seen == [["torchvision", "detseg"], ["torchvision", "detseg"]]
