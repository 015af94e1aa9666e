"""Threads of a service sharing one predictor: a prediction lowers the detector's own
``score_thresh`` and puts the model in eval mode for its call, so the calls take the model one
at a time, and the model's state is its own again after them."""

from __future__ import annotations

import threading
import time

import numpy as np

import detseg


def test_threads_take_the_model_in_turn_and_leave_its_threshold(detector_checkpoint):
    predictor = detseg.load(detector_checkpoint, device="cpu")
    own_threshold = predictor.model.score_thresh
    model_predict = predictor.model.predict
    inside, most_inside = 0, 0
    count = threading.Lock()

    def slow_predict(images):  # long enough for the other thread to come in meanwhile
        nonlocal inside, most_inside
        with count:
            inside += 1
            most_inside = max(most_inside, inside)
        time.sleep(0.2)
        try:
            return model_predict(images)
        finally:
            with count:
                inside -= 1

    predictor.model.predict = slow_predict
    image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    results: dict[float, int] = {}

    def call(threshold: float) -> None:
        results[threshold] = len(predictor.predict(image, score_thr=threshold))

    threads = [threading.Thread(target=call, args=(t,)) for t in (0.0, 0.5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert set(results) == {0.0, 0.5}
    assert most_inside == 1
    assert predictor.model.score_thresh == own_threshold
    assert not predictor.model.training
