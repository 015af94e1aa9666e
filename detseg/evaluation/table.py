"""Plain-text tables for logging evaluation results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 3) -> str:
    """Renders rows as an aligned text table (floats with ``digits`` decimals).

    Args:
        headers: column titles.
        rows: one sequence of cells per row, as long as ``headers``.
        digits: decimals shown for float cells; ``nan`` is shown as ``nan``.

    Returns:
        The table, lines joined by ``\\n``, without a trailing newline.

    Raises:
        ValueError: a row whose length differs from ``headers``.
    """
    cells = [[str(h) for h in headers]]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row {list(row)} has {len(row)} cells for {len(headers)} headers")
        cells.append([_format_cell(value, digits) for value in row])
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)) for line in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


#: The line under a COCO table that shows ``n/a``.
COCO_NA_NOTE = (
    "n/a: no ground truth to average over (a class with no object in these images, or an "
    "area range without objects); -1 in metrics.json, as pycocotools reports it."
)


def coco_table(result: dict[str, Any], digits: int = 3) -> str:
    """The overall COCO numbers of ``coco_evaluate`` on one line, then per-class AP.

    A number COCOeval could not compute (-1: no ground truth of that class or area range)
    shows ``n/a``, explained by :data:`COCO_NA_NOTE` under the table.
    """
    overall = {k: _or_na(v) for k, v in result.items() if k != "per_class"}
    text = format_table(list(overall), [list(overall.values())], digits)
    cells = list(overall.values())
    per_class = result.get("per_class") or {}
    if per_class:
        metrics = list(next(iter(per_class.values())))
        rows = [[name, *map(_or_na, values.values())] for name, values in per_class.items()]
        cells += [cell for row in rows for cell in row[1:]]
        text += "\n\n" + format_table(["class", *metrics], rows, digits)
    if "n/a" in cells:
        text += "\n" + COCO_NA_NOTE
    return text


def voc_table(result: dict[str, Any], digits: int = 3) -> str:
    """The VOC mAP of ``voc_evaluate_coco`` on one line, then the AP of each class.

    A class without non-difficult ground truth (AP -1.0) shows ``n/a``.
    """
    title = "VOC07 mAP" if result.get("metric") == "voc07" else "VOC12 mAP"
    text = format_table([title, "IoU"], [[_or_na(result["mAP"]), result["iou_threshold"]]], digits)
    per_class = result.get("per_class") or {}
    if per_class:
        rows = [[name, _or_na(ap)] for name, ap in per_class.items()]
        text += "\n\n" + format_table(["class", "AP"], rows, digits)
    return text


def _or_na(value: Any) -> Any:
    return "n/a" if isinstance(value, (int, float)) and value < 0 else value


def _format_cell(value: Any, digits: int) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)
