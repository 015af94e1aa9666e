"""write_detection_report on a raw COCO ground truth without ``area`` / ``iscrowd``: it reads it
as the COCO reader and the ``--gt/--pred`` evaluation do (box ``w * h`` px², ``0``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from coco_without_area import DETECTIONS, GT, KEYS

import detseg.evaluation.report as report
from detseg.evaluation.coco import coco_evaluate
from detseg.evaluation.report import write_detection_report


@pytest.fixture(autouse=True)
def _plots_not_drawn(monkeypatch):
    """The plots are stubs (a PNG signature): these tests are about other parts of the report."""

    def stub(*args):
        Path(args[-1]).write_bytes(b"\x89PNG\r\n\x1a\n")

    for name in ("plot_pr_curve", "plot_pr_per_class", "plot_confusion_matrix"):
        monkeypatch.setattr(report, name, stub)


def _filled_by_hand() -> dict:
    filled = copy.deepcopy(GT)
    for ann in filled["annotations"]:
        ann.setdefault("iscrowd", 0)
        ann["area"] = ann["bbox"][2] * ann["bbox"][3]
    return filled


def test_report_of_a_gt_dict_without_area_and_iscrowd(tmp_path):
    write_detection_report(tmp_path, copy.deepcopy(GT), DETECTIONS)

    metrics = json.loads((tmp_path / "metrics.json").read_text())
    expected = coco_evaluate(_filled_by_hand(), DETECTIONS)
    assert [metrics[k] for k in KEYS] == [expected[k] for k in KEYS]
    assert metrics["APs"] >= 0 and metrics["APm"] >= 0 and metrics["APl"] >= 0


def test_report_of_a_gt_file_without_area_and_iscrowd(tmp_path):
    gt_path = tmp_path / "gt.json"
    gt_path.write_text(json.dumps(GT))

    write_detection_report(tmp_path / "out", gt_path, DETECTIONS)

    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["AP"] == coco_evaluate(_filled_by_hand(), DETECTIONS)["AP"]
    assert json.loads(gt_path.read_text()) == GT  # the file is read, not rewritten
