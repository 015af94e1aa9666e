"""The shapes generator writes its PNGs as the image writers do: encoded in memory, the bytes
written by Python, so a full disk is the OS's ``ENOSPC`` naming the file and nothing reaches
stderr (``cv2.imwrite`` would let libpng print ``libpng error: Write Error`` there).
``/dev/full`` is a file whose every write fails with ``ENOSPC``."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.data.shapes import _write_png

FULL = Path("/dev/full")


@pytest.mark.skipif(not os.path.exists(FULL), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_enospc_naming_the_file_and_stderr_stays_clean(capfd):
    with pytest.raises(OSError) as caught:
        _write_png(FULL, np.zeros((64, 64, 3), np.uint8))
    assert (caught.value.errno, caught.value.filename) == (errno.ENOSPC, str(FULL))
    assert capfd.readouterr().err == ""


def test_the_png_reads_back(tmp_path):
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    _write_png(tmp_path / "a.png", pixels)
    assert np.array_equal(cv2.imread(str(tmp_path / "a.png")), pixels)
