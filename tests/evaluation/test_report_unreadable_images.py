"""Gallery images that are missing or unreadable under the images folder: the note above the
gallery names them (the first few) and says why they have no picture."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import detseg.evaluation.report as report
from detseg.evaluation.report import write_detection_report

FILES = ["seen.png", "missing.png", "broken.png"]
GT = {
    "images": [
        {"id": k + 1, "file_name": name, "width": 50, "height": 40} for k, name in enumerate(FILES)
    ],
    "annotations": [
        {"id": k, "image_id": k, "category_id": 1, "bbox": [1, 1, 9, 9], "area": 81, "iscrowd": 0}
        for k in (1, 2, 3)
    ],
    "categories": [{"id": 1, "name": "a"}],
}


@pytest.fixture(autouse=True)
def _plots_not_drawn(monkeypatch):
    """The plots are stubs (a PNG signature): these tests are about other parts of the report."""

    def stub(*args):
        Path(args[-1]).write_bytes(b"\x89PNG\r\n\x1a\n")

    for name in ("plot_pr_curve", "plot_pr_per_class", "plot_confusion_matrix"):
        monkeypatch.setattr(report, name, stub)


def test_note_names_the_images_without_pictures(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    cv2.imwrite(str(images / "seen.png"), np.zeros((40, 50, 3), np.uint8))
    (images / "broken.png").write_bytes(b"not an image")

    page = write_detection_report(tmp_path / "out", GT, [], images_dir=images)

    note = page.read_text(encoding="utf-8").split('<p class="note">')[1].split("</p>")[0]
    assert "2 image file(s) under" in note and "were not found or could not be read" in note
    assert "(missing.png, broken.png)" in note and "seen.png" not in note
