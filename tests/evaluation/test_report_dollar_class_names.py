"""Class names with ``$`` signs in the report's plots: drawn as written, not read as TeX
formulas by matplotlib (one that is no valid formula stopped the whole report)."""

from __future__ import annotations

import json

from detseg.evaluation.report import PLOT_FILES, write_detection_report

NAMES = [r"$\bad{$", "$x^2$", "cost $5"]
GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 120, "height": 100}],
    "annotations": [
        {
            "id": k + 1,
            "image_id": 1,
            "category_id": k + 1,
            "bbox": [30 * k, 10, 20, 20],
            "area": 400,
            "iscrowd": 0,
        }
        for k in range(len(NAMES))
    ],
    "categories": [{"id": k + 1, "name": name} for k, name in enumerate(NAMES)],
}
DETECTIONS = [
    {"image_id": 1, "category_id": 1, "bbox": [0, 10, 20, 20], "score": 0.9},
    {"image_id": 1, "category_id": 2, "bbox": [60, 10, 20, 20], "score": 0.8},  # wrong class
]


def test_report_with_formula_like_class_names(tmp_path):
    page = write_detection_report(tmp_path, GT, DETECTIONS).read_text(encoding="utf-8")

    for name in PLOT_FILES:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG", name
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert sorted(metrics["per_class"]) == sorted(NAMES)
    assert "<td>$x^2$</td>" in page and "<td>cost $5</td>" in page
