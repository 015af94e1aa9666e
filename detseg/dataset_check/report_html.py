"""The HTML page of a dataset check: plain strings, inline CSS, no scripts, no network.

Every text that comes from the data (class and file names, messages) is escaped; every image
is an inline ``data:`` URI given by the caller, so the page is one self-contained file.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from detseg.dataset_check.check import DatasetCheck
from detseg.dataset_check.gallery import GridImage
from detseg.evaluation.report_html import figures_html

__all__ = ["render_check_html"]

_CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .3em; }
h2 { margin-top: 2em; border-bottom: 1px solid #eee; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ddd; padding: .25em .7em; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; }
tr.error td { background: #f8d7da; } tr.warning td { background: #fcf8e3; }
tr.info td { background: #eef5fb; }
.verdict { font-size: 1.2em; padding: .5em; }
.verdict.bad { background: #f8d7da; } .verdict.good { background: #dff0d8; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
.plots img { max-width: 100%; border: 1px solid #eee; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: .8em; }
.grid img { max-width: 100%; border: 1px solid #ccc; }
figure { margin: 0; } figcaption { font-size: .85em; color: #555; word-break: break-all; }
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _info_table(info: Mapping[str, Any]) -> str:
    rows = "".join(
        f'<tr><th>{_esc(k)}</th><td class="text">{_esc(v)}</td></tr>' for k, v in info.items()
    )
    return f'<table id="info">{rows}</table>'


def _findings_table(check: DatasetCheck) -> str:
    errors, warnings = len(check.of_severity("error")), len(check.of_severity("warning"))
    verdict = "not ready for training" if errors else "ready for training"
    css = "bad" if errors else "good"
    parts = [f'<p class="verdict {css}">{errors} error(s), {warnings} warning(s): {verdict}</p>']
    if not check.findings:
        return parts[0] + "<p>No problem found.</p>"
    header = "<tr><th>severity</th><th>split</th><th>check</th><th>count</th><th>what</th>"
    header += "<th>files (first few)</th></tr>"
    rows = []
    for f in check.findings:
        files = "<br>".join(_esc(name) for name in f.files)
        rows.append(
            f'<tr class="{_esc(f.severity)}"><td>{_esc(f.severity)}</td>'
            f'<td class="text">{_esc(f.split or "")}</td><td class="text">{_esc(f.code)}</td>'
            f'<td>{f.count}</td><td class="text">{_esc(f.message)}</td>'
            f'<td class="text">{files}</td></tr>'
        )
    parts.append(f'<table id="findings">{header}{"".join(rows)}</table>')
    return "".join(parts)


def _counts_table(split: str, s: Mapping[str, Any]) -> str:
    keys = ["images", "unreadable", "duplicate_names", "duplicate_contents", "empty_images"]
    if s["kind"] == "detection":
        keys += [
            "objects",
            "kept_objects",
            "crowd_annotations",
            "bad_masks",
            "outside_boxes",
            "outside_dropped",
            "degenerate_boxes",
            "rejected_annotations",
            "orphan_annotations",
            "unreadable_annotation_files",
            "unmatched_label_files",
            "unread_image_files",
            "size_mismatches",
        ]
    else:
        keys += [
            "foreground_pixels",
            "ignore_pixels",
            "unpaired_images",
            "unmatched_label_maps",
            "nested_images",
            "rejected_annotations",
            "size_mismatches",
        ]
    rows = "".join(
        f"<tr><td>{_esc(k.replace('_', ' '))}</td><td>{s.get(k, 0)}</td></tr>" for k in keys
    )
    problems = s["label_problems"]
    rows += f"<tr><td>invalid labels</td><td>{problems['invalid']}</td></tr>"
    if s["kind"] == "segmentation":
        rows += f"<tr><td>unreadable label maps</td><td>{problems['unreadable']}</td></tr>"
    header = f"<tr><th>count</th><th>{_esc(split)}</th></tr>"
    return f'<table id="counts-{_esc(split)}">{header}{rows}</table>'


def _class_table(split: str, s: Mapping[str, Any]) -> str:
    if s["kind"] == "detection":
        header = "<tr><th>class</th><th>objects</th><th>images</th></tr>"
        rows = "".join(
            f"<tr><td>{_esc(name)}</td><td>{v['objects']}</td><td>{v['images']}</td></tr>"
            for name, v in s["classes"].items()
        )
    else:
        header = "<tr><th>class</th><th>pixels</th><th>share</th><th>images</th></tr>"
        rows = "".join(
            f"<tr><td>{_esc(name)}</td><td>{v['pixels']}</td><td>{v['share']:.2%}</td>"
            f"<td>{v['images']}</td></tr>"
            for name, v in s["class_pixels"].items()
        )
    return f'<table id="classes-{_esc(split)}">{header}{rows}</table>'


def _grid(split: str, items: Sequence[GridImage]) -> str:
    if not items:
        return "<p>No image drawn.</p>"
    figures = [
        f'<figure><img src="{_esc(i.data_uri)}" alt="{_esc(i.file)}">'
        f"<figcaption>{_esc(i.file)}: {_esc(i.caption)}</figcaption></figure>"
        for i in items
    ]
    return f'<div class="grid" id="grid-{_esc(split)}">{"".join(figures)}</div>'


def render_check_html(
    check: DatasetCheck,
    plots: Mapping[str, Mapping[str, str]],
    grids: Mapping[str, Sequence[GridImage]],
    title: str = "Dataset check",
) -> str:
    """Build the report page.

    Args:
        check: The check's result.
        plots: ``{split: {caption: data URI}}`` of the histograms, shown in this order.
        grids: ``{split: drawn images}``.
        title: Page title.

    Returns:
        The whole HTML document.
    """
    info = {
        "source": check.source or "-",
        "format": check.data.get("format", ""),
        "root": check.data.get("root", ""),
        "splits": ", ".join(check.splits),
        "full decode": "yes" if all(s["decoded"] for s in check.splits.values()) else "no",
    }
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        _info_table(info),
        "<h2>Findings</h2>",
        _findings_table(check),
    ]
    for split, summary in check.splits.items():
        parts += [
            f'<h2 id="split-{_esc(split)}">{_esc(split)}</h2>',
            _counts_table(split, summary),
            _class_table(split, summary),
            figures_html(plots.get(split, {})),
            f"<h3>{_esc(split)}: images with their annotations</h3>",
            _grid(split, grids.get(split, [])),
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
