"""A class without ground truth, and a ground truth without images, read as such in every
output: the printed tables, report.html and the segmentation confusion matrix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from detseg.evaluation import coco_table
from detseg.evaluation.confusion_plot import EMPTY_ROW_NOTE, confusion_figure
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files
from detseg.evaluation.table import COCO_NA_NOTE

CATEGORIES = [{"id": 1, "name": 'a<b & "c"'}, {"id": 2, "name": "d'e"}]
GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 64}],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [5, 5, 20, 20],
            "area": 400,
            "iscrowd": 0,
        }
    ],
    "categories": CATEGORIES,
}
DETECTIONS = [{"image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 20], "score": 0.9}]


def _evaluate(tmp_path: Path, gt: dict, detections: list[dict]):
    (tmp_path / "gt.json").write_text(json.dumps(gt), encoding="utf-8")
    (tmp_path / "pred.json").write_text(json.dumps(detections), encoding="utf-8")
    out = tmp_path / "eval"
    summary = evaluate_prediction_files(tmp_path / "gt.json", tmp_path / "pred.json", out=out)
    return summary, (out / "report.html").read_text(encoding="utf-8")


def test_the_printed_table_shows_na_with_its_meaning(tmp_path: Path) -> None:
    summary, _ = _evaluate(tmp_path, GT, DETECTIONS)
    assert "-1.000" not in summary.table
    row = next(line for line in summary.table.splitlines() if line.strip().startswith("d'e"))
    assert row.split() == ["d'e", "n/a", "n/a", "n/a"]
    assert COCO_NA_NOTE in summary.table
    assert summary.metrics["per_class"]["d'e"]["AP"] == -1.0  # metrics.json keeps COCO's -1


def test_coco_table_without_na_has_no_note() -> None:
    text = coco_table({"AP": 0.5, "per_class": {"cat": {"AP": 0.5}}})
    assert "n/a" not in text


def test_the_html_explains_na_of_a_class_without_ground_truth(tmp_path: Path) -> None:
    _, page = _evaluate(tmp_path, GT, DETECTIONS)
    table = re.search(r'<table id="per-class">.*?</table>(.*?)<h2>', page, re.S)
    assert table is not None
    rows = re.findall(r'<tr class="class-row">(.*?)</tr>', table.group(0))
    assert rows[-1].startswith("<td>d&#x27;e</td><td>n/a</td>")
    assert rows[0].startswith("<td>a&lt;b &amp; &quot;c&quot;</td><td>1.000</td>")
    assert "no ground-truth object of this class" in table.group(1)


def test_a_ground_truth_without_images_is_reported_as_such(tmp_path: Path) -> None:
    gt = {"images": [], "annotations": [], "categories": CATEGORIES}
    summary, page = _evaluate(tmp_path, gt, [])
    assert "Every image is perfect" not in page
    assert "The ground truth lists no images: nothing was evaluated" in page
    assert summary.metrics["AP"] == -1.0 and COCO_NA_NOTE in summary.table


def test_confusion_matrix_marks_a_class_without_ground_truth() -> None:
    matrix = np.array([[3, 1, 0], [0, 2, 0], [0, 0, 0]])
    fig = confusion_figure(matrix, ["background", "cat", "dog"])
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts[:3] == ["0.75", "0.25", "0.00"] and texts[6:] == ["-", "-", "-"]
    assert EMPTY_ROW_NOTE in [t.get_text() for t in fig.texts]
    full = confusion_figure(np.array([[3, 1], [0, 2]]), ["background", "cat"])
    assert "-" not in [t.get_text() for t in full.axes[0].texts]
    assert EMPTY_ROW_NOTE not in [t.get_text() for t in full.texts]
