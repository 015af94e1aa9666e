"""Radiance HDR and JPEG 2000 images are written where OpenCV's temporary folder cannot be
written: their encoders write and read back a file there even in ``cv2.imencode``
(``$OPENCV_TEMP_PATH``, else ``/tmp``), and the image is then written by ``cv2.imwrite`` into
the temporary file beside it instead."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detseg.visualize import save_rgb
from detseg.visualize.saving import FILE_ENCODED_SUFFIXES

PIXELS = np.full((64, 64, 3), 100, np.uint8)


@pytest.mark.parametrize("suffix", sorted(FILE_ENCODED_SUFFIXES & {".hdr", ".jp2"}))
def test_an_unusable_opencv_temporary_folder_still_writes_the_image(tmp_path, monkeypatch, suffix):
    monkeypatch.setenv("OPENCV_TEMP_PATH", str(tmp_path / "missing"))
    assert not cv2.imencode(suffix, PIXELS)[0]  # the encoder needs that folder
    path = tmp_path / "out" / f"drawn{suffix}"
    save_rgb(path, PIXELS)
    assert cv2.imread(str(path)).shape == (64, 64, 3)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
