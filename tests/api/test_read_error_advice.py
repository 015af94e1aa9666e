"""The advice of a read error among many inputs works as written: its
``predictor.predict_images(...)`` code, run on the paths with a list for the failed ones, gives
the results of the readable files and lists the unreadable one."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

import detseg
from detseg.api import InputImage
from detseg.data.image_io import ImageReadError
from detseg.image_inputs import read_images


def test_the_advised_code_predicts_on_the_readable_files(detector_checkpoint, tmp_path):
    paths = []
    for i in range(3):
        path = tmp_path / f"p{i}.png"
        assert cv2.imwrite(str(path), np.full((32, 40, 3), 50 * i, np.uint8))
        paths.append(path)
    paths[1].write_bytes(b"not a png")
    predictor = detseg.load(detector_checkpoint, device="cpu")
    with pytest.raises(ImageReadError) as caught:
        predictor.predict(paths)
    code = re.search(r"predictor\.predict_images\(.*?\)\)", str(caught.value))
    assert code is not None, str(caught.value)
    assert "InputImage from detseg.api" in str(caught.value)
    assert "read_images from detseg.image_inputs" in str(caught.value)
    failed: list[str] = []
    names = {"predictor": predictor, "InputImage": InputImage, "read_images": read_images}
    results = list(eval(code.group(0), names, {"paths": paths, "failed": failed}))  # noqa: S307
    assert [result.path for result in results] == [paths[0], paths[2]]
    assert failed == [str(paths[1])]
