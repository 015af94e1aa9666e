"""A tiny YOLO dataset of one JPEG tagged with an EXIF orientation, labelled as displayed
(the Ultralytics convention), for the tests of the YOLO EXIF rule (data, check_data, convert)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from detseg.data.image_io import apply_orientation

#: The displayed photo is 24 wide and 40 high; the white square is its object (xyxy px).
DISPLAYED_HW, BOX = (40, 24), (4.0, 24.0, 16.0, 36.0)
#: The orientation that undoes each one (6 and 8 are quarter turns in opposite directions).
INVERSE = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}


def yolo_photo(root: Path, orientation: int, displayed_hw=DISPLAYED_HW, box=BOX) -> None:
    """A YOLO train split of one JPEG tagged with ``orientation``, its pixels stored so that it
    displays ``displayed_hw`` with a white ``box``, and its label normalized to that image."""
    displayed = np.zeros((*displayed_hw, 3), np.uint8)
    x1, y1, x2, y2 = (int(v) for v in box)
    displayed[y1:y2, x1:x2] = 255
    stored = np.ascontiguousarray(apply_orientation(displayed, INVERSE[orientation]))
    assert np.array_equal(apply_orientation(stored, orientation), displayed)
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(stored).save(
        root / "images" / "train" / "a.jpg", quality=100, subsampling=0, exif=exif
    )
    height, width = displayed_hw
    cx, cy = (x1 + x2) / 2 / width, (y1 + y2) / 2 / height
    line = f"0 {cx:.6f} {cy:.6f} {(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}\n"
    (root / "labels" / "train" / "a.txt").write_text(line)
    (root / "classes.txt").write_text("square\n")
