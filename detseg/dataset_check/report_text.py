"""The short text report of a dataset check (stdout and ``report.txt``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from detseg.dataset_check.check import DatasetCheck
from detseg.dataset_check.finding_record import Finding

__all__ = ["format_text_report"]

_HEADINGS = {"error": "errors", "warning": "warnings", "info": "notes"}
_MAX_CLASSES = 20  # classes listed per split in the text (the HTML and json list all)


def _table(rows: list[list[str]]) -> list[str]:
    """Left-aligned first column, right-aligned others."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _split_rows(splits: Mapping[str, Mapping[str, Any]]) -> list[str]:
    detection = all(s["kind"] == "detection" for s in splits.values())
    if detection:
        header = ["split", "images", "unreadable", "objects", "empty", "bad boxes", "classes"]
    else:
        header = ["split", "images", "unreadable", "bad labels", "foreground", "empty", "classes"]
    rows = [header]
    for name, s in splits.items():
        row = [name, str(s["images"]), str(s["unreadable"])]
        if s["kind"] == "detection":
            bad = s["outside_boxes"] + s["degenerate_boxes"]
            row += [str(s["kept_objects"]), str(s["empty_images"]), str(bad)]
        else:
            problems = sum(s["label_problems"].values())
            row += [str(problems), _foreground_share(s), str(s["empty_images"])]
        rows.append([*row, str(s["num_classes"])])
    return _table(rows)


def _foreground_share(s: Mapping[str, Any]) -> str:
    """Share of the labelled pixels of a segmentation split that are foreground, as
    ``"12.5%"``; ``"-"`` when no label map could be counted."""
    labelled = sum(v["pixels"] for v in s["class_pixels"].values())
    return f"{s['foreground_pixels'] / labelled:.1%}" if labelled else "-"


def _describe(stats: Mapping[str, float] | None) -> str:
    if stats is None:
        return "-"
    return f"{stats['min']:g} / {stats['median']:g} / {stats['max']:g}"


def _class_lines(name: str, s: Mapping[str, Any]) -> list[str]:
    if s["kind"] == "detection":
        items = [f"{c} {v['objects']} ({v['images']})" for c, v in s["classes"].items()]
        title = f"{name}: objects per class (images)"
    else:
        items = [f"{c} {v['share']:.1%}" for c, v in s["class_pixels"].items()]
        title = f"{name}: share of labelled pixels per class"
    more = len(items) - _MAX_CLASSES
    text = ", ".join(items[:_MAX_CLASSES]) + (f", ... ({more} more)" if more > 0 else "")
    lines = [title, f"  {text}" if items else "  (no classes)"]
    if s["kind"] == "detection" and s["crowd_annotations"]:
        lines.append(f"  crowd annotations (not counted as objects): {s['crowd_annotations']}")
    if s["kind"] == "detection" and s["box_width"] is not None:
        lines.append(
            f"  box width min/median/max {_describe(s['box_width'])} px, "
            f"height {_describe(s['box_height'])} px, aspect w/h {_describe(s['box_aspect'])}"
        )
    return lines


def _finding_lines(finding: Finding) -> list[str]:
    where = f"[{finding.split}] " if finding.split else ""
    lines = [f"  {where}{finding.code}: {finding.message}"]
    if finding.files:
        lines.append(f"      e.g. {'; '.join(finding.files)}")
    return lines


def format_text_report(check: DatasetCheck) -> str:
    """A few lines per split, then the findings by severity, then the verdict.

    Returns:
        The report, ending with a newline.
    """
    root, fmt = check.data.get("root", ""), check.data.get("format", "")
    lines = [f"dataset check of {check.source or root}: format {fmt}, root {root}", ""]
    lines += _split_rows(check.splits)
    for name, summary in check.splits.items():
        if summary["images"]:
            lines += ["", *_class_lines(name, summary)]
    for severity, heading in _HEADINGS.items():
        found = check.of_severity(severity)
        if found:
            lines += ["", f"{heading} ({len(found)}):"]
            for finding in found:
                lines += _finding_lines(finding)
    errors, warnings = len(check.of_severity("error")), len(check.of_severity("warning"))
    verdict = "not ready for training" if errors else "ready for training"
    lines += ["", f"result: {errors} error(s), {warnings} warning(s): {verdict}"]
    return "\n".join(lines) + "\n"
