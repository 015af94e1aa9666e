"""The type overloads of ``Predictor.predict`` tell the truth: a string (a glob pattern) and a
``[B, H, W, 3]`` array give a list, so no overload taking a path or an array promises one
``Result``."""

from __future__ import annotations

import typing

import cv2
import numpy as np

import detseg
from detseg.api.predictor import Predictor


def test_a_pattern_and_a_batch_array_give_lists(detector_checkpoint, tmp_path):
    assert cv2.imwrite(str(tmp_path / "a.png"), np.full((32, 40, 3), 90, np.uint8))
    predictor = detseg.load(detector_checkpoint, device="cpu")
    assert isinstance(predictor.predict(str(tmp_path / "*.png")), list)
    assert isinstance(predictor.predict(np.zeros((2, 32, 40, 3), np.uint8)), list)


def test_no_overload_promises_one_result_for_a_path_or_an_array():
    overloads = typing.get_overloads(Predictor.predict)
    assert overloads
    for overload in overloads:
        taken, returned = overload.__annotations__["x"], overload.__annotations__["return"]
        if any(kind in taken for kind in ("str", "PathLike", "ndarray", "Any")):
            assert "list[Result]" in returned, (taken, returned)
