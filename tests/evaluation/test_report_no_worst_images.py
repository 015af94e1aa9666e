"""``worst_k=0`` (``tools/eval.py --worst-k 0``): the gallery says that no image is shown and
how many are imperfect, not that the images are "listed without pictures"."""

from __future__ import annotations

from pathlib import Path

import pytest

import detseg.evaluation.report as report
from detseg.evaluation.report import write_detection_report

GT = {
    "images": [{"id": k, "file_name": f"{k}.png", "width": 50, "height": 40} for k in (1, 2)],
    "annotations": [
        {"id": k, "image_id": k, "category_id": 1, "bbox": [1, 1, 9, 9], "area": 81, "iscrowd": 0}
        for k in (1, 2)
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


def test_no_worst_image_asked(tmp_path):
    page = write_detection_report(tmp_path, GT, [], worst_k=0).read_text(encoding="utf-8")

    gallery = page[page.index("<h2>Worst images</h2>") :]
    assert "2 image(s) have F1 &lt; 1; none is shown (worst_k = 0)." in gallery
    assert "without pictures" not in gallery and "worst-images" not in gallery
