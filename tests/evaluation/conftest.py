"""``check_report``: the files every detection evaluation report has, checked."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest

from detseg.engine.validation import COCO_KEYS

PNGS = ("pr_curve_iou50.png", "pr_curve_iou75.png", "pr_per_class.png", "confusion_matrix.png")


def _check_report(out: Path, class_names: list[str]) -> tuple[dict, str]:
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(COCO_KEYS) <= set(metrics)
    assert sorted(metrics["per_class"]) == sorted(class_names)
    for values in metrics["per_class"].values():
        assert {"AP", "AP50", "AR100"} <= set(values)
    confusion = metrics["confusion_matrix"]
    size = len(class_names) + 1  # + background
    assert np.asarray(confusion["matrix"]).shape == (size, size)
    for name in PNGS:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<table id="summary">' in page and '<table id="per-class">' in page
    for name in class_names:
        assert f">{html.escape(name)}<" in page
    sources = [html.unescape(s) for s in re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)]
    assert len(sources) >= len(PNGS)
    for source in sources:
        assert source.startswith("data:image/") or (out / source).is_file(), source[:80]
    return metrics, page


@pytest.fixture
def check_report():
    """``check_report(out, class_names)``: asserts the report's files; ``(metrics, page)``."""
    return _check_report
