"""metrics.json of a detection report holds the confusion matrix one row per line: indented
number by number, a 1,000-class matrix made a million-line, 11 MB file."""

from __future__ import annotations

import json

import numpy as np

from detseg.evaluation.detection_confusion import DetectionConfusion
from detseg.evaluation.report import _write_metrics_json


def test_matrix_rows_are_lines_and_the_values_stay(tmp_path) -> None:
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 9, (41, 41))
    names = [f"c{k}" for k in range(40)] + ["background"]
    names[3] = "matrix rows"  # a class named like the placeholder of the rows
    confusion = DetectionConfusion(matrix, names, list(range(1, 41)), {}, 0.5, 0.3)
    path = tmp_path / "metrics.json"
    _write_metrics_json(path, {"AP": 0.5, "note": "matrix rows"}, confusion, {"run": "x"})
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["confusion_matrix"]["matrix"] == matrix.tolist()
    assert data["confusion_matrix"]["classes"] == names
    assert data["AP"] == 0.5 and data["note"] == "matrix rows" and data["info"] == {"run": "x"}
    assert len(text.splitlines()) < 41 + 41 + 30
    assert f"      {json.dumps(matrix[7].tolist())}," in text.splitlines()
