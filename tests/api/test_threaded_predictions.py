"""Threads of a service sharing one predictor: a prediction lowers the detector's own
``score_thresh`` and puts the model in eval mode for its call, so the calls take the model one
at a time, and the model's state is its own again after them."""

from __future__ import annotations

import threading

import numpy as np

import detseg
from detseg.api import batch_prediction


class WatchedLock:
    """A lock that sets ``waiting`` when a thread finds it held."""

    def __init__(self, waiting: threading.Event) -> None:
        self.lock, self.waiting = threading.Lock(), waiting

    def __enter__(self) -> None:
        if not self.lock.acquire(blocking=False):
            self.waiting.set()
            self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def test_threads_take_the_model_in_turn_and_leave_its_threshold(detector_checkpoint, monkeypatch):
    predictor = detseg.load(detector_checkpoint, device="cpu")
    own_threshold = predictor.model.score_thresh
    model_predict = predictor.model.predict
    first_inside, other_came = threading.Event(), threading.Event()
    # the second call either waits for the model's lock (one call at a time) or comes into
    # the model's predict beside the first: either way the first goes on, with no timeout
    locks = {predictor.model: WatchedLock(other_came)}
    monkeypatch.setattr(batch_prediction, "_MODEL_LOCKS", locks)
    calls, inside, most_inside = 0, 0, 0
    count = threading.Lock()

    def watched_predict(images):
        nonlocal calls, inside, most_inside
        with count:
            calls, inside = calls + 1, inside + 1
            most_inside, first = max(most_inside, inside), calls == 1
        if first:
            first_inside.set()
            assert other_came.wait(timeout=60)
        else:
            other_came.set()
        try:
            return model_predict(images)
        finally:
            with count:
                inside -= 1

    predictor.model.predict = watched_predict
    image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    results: dict[float, int] = {}

    def call(threshold: float) -> None:
        results[threshold] = len(predictor.predict(image, score_thr=threshold))

    threads = [threading.Thread(target=call, args=(t,)) for t in (0.0, 0.5)]
    threads[0].start()
    assert first_inside.wait(timeout=60)  # the second call starts while the first is inside
    threads[1].start()
    for thread in threads:
        thread.join(timeout=60)
    assert set(results) == {0.0, 0.5}
    assert most_inside == 1
    assert predictor.model.score_thresh == own_threshold
    assert not predictor.model.training
