"""The reported throughput is the true median of the timed calls, also for an even count."""

from __future__ import annotations

import torch

from detseg.benchmark import throughput
from detseg.benchmark.throughput import Throughput, measure, measure_interleaved

CPU = torch.device("cpu")


def test_two_repetitions_report_their_mean_not_the_slower_one(monkeypatch):
    # warm-up a, warm-up b, then (the order turning every round) b, a, a, b:
    # a: 1 s, 3 s and b: 2 s, 2 s
    durations = iter([9.0, 9.0, 2.0, 1.0, 3.0, 2.0])
    monkeypatch.setattr(throughput, "_timed", lambda call, device: next(durations))
    result = measure_interleaved({"a": lambda: None, "b": lambda: None}, 4, CPU, repeats=2)
    assert result["a"].seconds_per_call == [1.0, 3.0]
    assert result["a"].images_per_s == 4 / 2.0  # median of 1 s and 3 s: 2 s
    assert result["b"].images_per_s == 4 / 2.0


def test_measure_takes_the_median_of_an_even_count(monkeypatch):
    ticks = iter([0, 1, 1, 3, 3, 6, 6, 10])  # start and end of calls of 1, 2, 3, 4 s
    monkeypatch.setattr(throughput.time, "perf_counter", lambda: next(ticks))
    result = measure(lambda: None, 5, CPU, repeats=4, warmup=0)
    assert result.seconds_per_call == [1, 2, 3, 4]
    assert result.images_per_s == 5 / 2.5


def test_warmup_excess_uses_the_median():
    timed = Throughput(images_per_s=1.0, seconds_per_call=[1.0, 3.0], warmup_seconds=[5.0])
    assert timed.warmup_excess_s == 3.0  # 5 s beyond one median call of 2 s
