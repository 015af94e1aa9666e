"""``classify_boxes`` reads every box once, through ``clip_to_image``'s verdict.

The dataset check and the readers share one clipping rule
(:func:`detseg.data.target_checks.clip_to_image`). The check's ``outside`` flag comes from that
verdict's ``overhang`` (how far a box reaches beyond the image), not from a second pass over the
raw boxes, so the two can never disagree on which boxes are finite or how far they reach out.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from detseg.data import target_checks
from detseg.dataset_check import box_flags
from detseg.dataset_check.box_flags import classify_boxes


def test_overhang_is_the_farthest_reach_beyond_the_image():
    boxes = np.array(
        [
            [0, 0, 10, 10],  # inside
            [-5, 0, 10, 10],  # 5 px left of the image
            [10, 10, 30, 71.5],  # 7.5 px below the 64 px high image
            [np.nan, -40, 5, 5],  # not finite: no overhang
            [70, 5, 90, 9],  # wholly right of the 64 px wide image: its far edge counts
        ]
    )
    verdict = target_checks.clip_to_image(boxes, (64, 64))
    np.testing.assert_allclose(verdict.overhang, [0, 5, 7.5, 0, 26])
    assert verdict.moved.tolist() == [False, True, True, False, True]
    assert target_checks.clip_to_image(np.zeros((0, 4)), (64, 64)).overhang.shape == (0,)


def test_outside_flag_follows_the_verdict(monkeypatch):
    """The flags are made from the verdict alone: a verdict that sees no overhang gives no
    outside box, whatever the raw coordinates (no second reading of the boxes)."""
    boxes = np.array([[-5.0, 0, 10, 10], [0, 0, 80, 10], [2, 2, 9, 9]])
    calls = []

    def no_overhang(*args, **kwargs):
        verdict = target_checks.clip_to_image(*args, **kwargs)
        calls.append(verdict)
        return dataclasses.replace(verdict, overhang=np.zeros(len(verdict.keep)))

    assert classify_boxes(boxes, (64, 64)).outside.tolist() == [True, True, False]
    monkeypatch.setattr(box_flags, "clip_to_image", no_overhang)
    flags = classify_boxes(boxes, (64, 64))
    assert len(calls) == 1
    assert flags.outside.tolist() == [False, False, False]
    np.testing.assert_array_equal(flags.clipped, calls[0].clipped)
