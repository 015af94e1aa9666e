"""``check_report``: the files every detection evaluation report has, checked; ``write_voc``: a
small VOC-layout dataset. Every test starts with no ground-truth warning said yet (the
evaluation says each once per process)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

import detseg.evaluation.coco_ground_truth as coco_ground_truth
from detseg.engine.validation import COCO_KEYS


@pytest.fixture(autouse=True)
def _ground_truth_warnings_unsaid(monkeypatch):
    """Each test sees the warnings about its ground truth, whatever earlier tests evaluated."""
    monkeypatch.setattr(coco_ground_truth, "_WARNED", set())


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


def _write_voc(root: Path, images: dict[str, list[tuple[str, list[int], int]]]) -> Path:
    """A VOC folder under ``root``: ``{image id: [(class, [xmin, ymin, xmax, ymax], difficult)]}``
    (VOC's 1-based inclusive pixels) as 64x64 JPEGs, xml files and ``ImageSets/Main/val.txt``."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for name, objects in images.items():
        image = np.full((64, 64, 3), 60, dtype=np.uint8)
        parts = [f"<annotation><filename>{name}.jpg</filename>"]
        for k, (cls, (x1, y1, x2, y2), difficult) in enumerate(objects):
            cv2.rectangle(image, (x1 - 1, y1 - 1), (x2 - 1, y2 - 1), (40 * k + 100, 200, 90), -1)
            parts.append(
                f"<object><name>{cls}</name><difficult>{difficult}</difficult><bndbox>"
                f"<xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax>"
                "</bndbox></object>"
            )
        (root / "Annotations" / f"{name}.xml").write_text("".join([*parts, "</annotation>"]))
        cv2.imwrite(str(root / "JPEGImages" / f"{name}.jpg"), image)
    (root / "ImageSets" / "Main" / "val.txt").write_text("\n".join(images) + "\n")
    return root


@pytest.fixture
def write_voc():
    """``write_voc(root, {image id: [(class, [xmin, ymin, xmax, ymax], difficult), ...]})``
    writes a VOC-layout folder (64x64 images, split ``val``) and returns ``root``."""
    return _write_voc
