"""The per-class PR plot of a report with many classes shows the ``MAX_PR_PANELS`` classes of
lowest AP50 (with ground truth), lowest first, and says so in its caption: a panel for each
class of a large vocabulary took minutes and, past about 1,400 classes, made a PNG taller
than matplotlib can write."""

from __future__ import annotations

from pathlib import Path

import pytest

import detseg.evaluation.report as report
from detseg.evaluation.pr_curves import PRCurves

NAMES = ["good", "bad", "absent", "middling", "also good"]


def _gt_and_detections() -> tuple[dict, list[dict]]:
    """One image; every class but "absent" has two objects, "bad" none found, "middling" one."""
    gt: dict = {"images": [{"id": 1, "file_name": "a.png", "width": 400, "height": 100}]}
    gt["categories"] = [{"id": k + 1, "name": name} for k, name in enumerate(NAMES)]
    gt["annotations"], detections = [], []
    for k, name in enumerate(NAMES):
        if name == "absent":
            continue
        for j in range(2):
            box = [80 * k, 50 * j, 20, 20]
            gt["annotations"].append(
                {"id": 10 * k + j, "image_id": 1, "category_id": k + 1, "bbox": box}
                | {"area": 400, "iscrowd": 0}
            )
            if name in ("good", "also good") or (name == "middling" and j == 0):
                detections.append({"image_id": 1, "category_id": k + 1, "bbox": box, "score": 0.9})
    return gt, detections


def _stub(*args) -> None:
    """A plot not drawn: a PNG signature at its path (the last argument)."""
    Path(args[-1]).write_bytes(b"\x89PNG\r\n\x1a\n")


@pytest.fixture()
def drawn(monkeypatch) -> list[PRCurves]:
    """The curves given to ``plot_pr_per_class``; no plot is drawn."""
    given: list[PRCurves] = []
    monkeypatch.setattr(report, "plot_pr_per_class", lambda c, p: given.append(c) or _stub(p))
    monkeypatch.setattr(report, "plot_pr_curve", _stub)
    monkeypatch.setattr(report, "plot_confusion_matrix", _stub)
    return given


def test_per_class_plot_of_many_classes_shows_the_weakest(tmp_path, monkeypatch, drawn):
    monkeypatch.setattr(report, "MAX_PR_PANELS", 2)
    gt, detections = _gt_and_detections()

    page = report.write_detection_report(tmp_path, gt, detections).read_text(encoding="utf-8")

    (panels,) = drawn
    assert panels.class_names == ["bad", "middling"]
    assert panels.precision.shape[2] == 2
    assert panels.precision[0, 0, 1] == 1.0  # the curves are the named classes' own
    caption = "the 2 classes of lowest AP50, of 5 (4 with ground truth; every AP in metrics.json)"
    assert caption in page


def test_per_class_plot_of_few_classes_shows_all(tmp_path, drawn):
    gt, detections = _gt_and_detections()

    page = report.write_detection_report(tmp_path, gt, detections).read_text(encoding="utf-8")

    assert drawn[0].class_names == NAMES
    assert "<figcaption>Precision-recall per class</figcaption>" in page


def test_per_class_caption_when_no_class_has_ground_truth(tmp_path, monkeypatch, drawn):
    monkeypatch.setattr(report, "MAX_PR_PANELS", 2)
    gt, detections = _gt_and_detections()
    gt["annotations"] = []

    page = report.write_detection_report(tmp_path, gt, detections).read_text(encoding="utf-8")

    assert drawn[0].class_names == []
    assert "none of the 5 classes has ground truth (every AP in metrics.json)" in page
    assert "the 0 classes" not in page
