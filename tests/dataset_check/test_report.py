"""The text, JSON and HTML reports of a check."""

from __future__ import annotations

import json
import re
from pathlib import Path

from detseg.dataset_check import check_dataset, format_text_report, write_reports


def test_reports_of_a_broken_dataset(broken_root: Path, tmp_path: Path):
    check = check_dataset({"format": "coco", "root": str(broken_root)}, source="data.yaml")
    paths = write_reports(check, tmp_path / "out", grid=4)
    assert paths["text"].read_text() == format_text_report(check)
    text = paths["text"].read_text()
    assert "outside_boxes" in text and "train/images/000002.png" in text
    assert "result: 0 error(s)" in text

    summary = json.loads(paths["summary"].read_text())
    assert summary["exit_code"] == 0 and summary["source"] == "data.yaml"
    assert summary["splits"]["train"]["outside_boxes"] == 1
    assert summary["overlaps"]["train/val"]["same_content"] == 1
    assert {f["code"] for f in summary["findings"]} >= {"degenerate_boxes", "split_overlap"}

    for name in ("train_classes.png", "train_box_sizes.png", "val_classes.png"):
        assert (tmp_path / "out" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = paths["html"].read_text()
    sources = re.findall(r'<img src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/") for s in sources)  # self-contained
    assert len(sources) == 2 * 2 + 2 * 4  # two plots and four drawn images per split
    grid = page[page.index('id="grid-train"') :]
    # box problems first: the images with the box outside and the degenerate box
    assert grid.index("train/images/000002.png") < grid.index("train/images/000003.png")
    assert "1 outside" in grid and "1 degenerate (not drawn)" in grid
    assert '<tr class="warning">' in page and "degenerate_boxes" in page


def test_segmentation_report_without_grid(shapes_root: Path, tmp_path: Path):
    check = check_dataset({"format": "shapes_seg", "root": str(shapes_root)}, ("val",))
    paths = write_reports(check, tmp_path / "seg", grid=0)
    assert (tmp_path / "seg" / "val_pixels.png").is_file()
    page = paths["html"].read_text()
    assert "No image drawn." in page and page.count("<img ") == 1
    assert "share of labelled pixels per class" in paths["text"].read_text()


def test_segmentation_grid_draws_label_maps(shapes_root: Path, tmp_path: Path):
    check = check_dataset({"format": "shapes_seg", "root": str(shapes_root)}, ("val",))
    page = write_reports(check, tmp_path / "seg", grid=2)["html"].read_text()
    assert page[page.index('id="grid-val"') :].count("<img ") == 2
    assert "classes present" in page
