"""Writing a dataset check to a folder::

report.txt                   the text report (also printed by tools/check_data.py)
summary.json                 every count and finding, machine-readable
report.html                  self-contained page: numbers, histograms, drawn images
<split>_classes.png          objects and images per class (detection)
<split>_box_sizes.png        box width, height and aspect-ratio histograms (detection)
<split>_pixels.png           share of labelled pixels per class (segmentation)
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from detseg.dataset_check.check import DatasetCheck
from detseg.dataset_check.gallery import GridImage, draw_grid
from detseg.dataset_check.plots import plot_box_sizes, plot_class_counts, plot_pixel_shares
from detseg.dataset_check.report_html import render_check_html
from detseg.dataset_check.report_text import format_text_report
from detseg.dataset_check.stats import box_sizes

__all__ = ["write_reports"]


def _split_plots(check: DatasetCheck, split: str) -> dict[str, tuple[str, bytes]]:
    """``{file name: (caption, PNG bytes)}`` of one split's histograms."""
    summary = check.splits[split]
    if summary["kind"] == "detection":
        classes = summary["classes"]
        counts = plot_class_counts(
            list(classes),
            [v["objects"] for v in classes.values()],
            [v["images"] for v in classes.values()],
            f"{split}: objects and images per class",
        )
        sizes = plot_box_sizes(box_sizes(check.scans[split]), f"{split}: box sizes")
        return {
            f"{split}_classes.png": (f"{split}: objects and images per class", counts),
            f"{split}_box_sizes.png": (f"{split}: box width, height and aspect ratio", sizes),
        }
    pixels = summary["class_pixels"]
    title = f"{split}: share of labelled pixels per class"
    shares = plot_pixel_shares(list(pixels), [v["share"] for v in pixels.values()], title)
    return {f"{split}_pixels.png": (title, shares)}


def write_reports(
    check: DatasetCheck, out_dir: str | os.PathLike[str], grid: int = 16
) -> dict[str, Path]:
    """Write the reports of a check (layout in the module docstring).

    Args:
        check: The check's result.
        out_dir: Output folder (created; files of the same names are replaced).
        grid: Images drawn per split in the HTML report (0: none).

    Returns:
        ``{"text", "summary", "html"}`` -> the files written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots: dict[str, dict[str, str]] = {}
    grids: dict[str, list[GridImage]] = {}
    for split, summary in check.splits.items():
        plots[split] = {}
        if summary["images"] > summary["unreadable"]:
            for name, (caption, png) in _split_plots(check, split).items():
                (out / name).write_bytes(png)
                plots[split][caption] = "data:image/png;base64," + base64.b64encode(png).decode()
        grids[split] = draw_grid(check.scans[split], grid)
    paths = {
        "text": out / "report.txt",
        "summary": out / "summary.json",
        "html": out / "report.html",
    }
    paths["text"].write_text(format_text_report(check), encoding="utf-8")
    paths["summary"].write_text(json.dumps(check.to_dict(), indent=2), encoding="utf-8")
    paths["html"].write_text(render_check_html(check, plots, grids), encoding="utf-8")
    return paths
