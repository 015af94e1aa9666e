"""The HTML page of the detection report: plain strings, inline CSS, no scripts, no network.

Every text that comes from the data (class names, file names, info values) is
escaped; every image is an inline ``data:`` URI given by the caller.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from detseg.evaluation.coco import SEGM_PREFIX

_DESCRIPTIONS = {
    "AP": "AP @ IoU 0.50:0.95, all areas",
    "AP50": "AP @ IoU 0.50",
    "AP75": "AP @ IoU 0.75",
    "APs": "AP, small objects (area ≤ 32²)",
    "APm": "AP, medium objects (32² ≤ area ≤ 96²)",
    "APl": "AP, large objects (area ≥ 96²)",
    "ARs": "AR, small objects",
    "ARm": "AR, medium objects",
    "ARl": "AR, large objects",
}

_CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .3em; }
h2 { margin-top: 2em; border-bottom: 1px solid #eee; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ddd; padding: .25em .7em; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
td:first-child { max-width: 30em; overflow-wrap: anywhere; }  /* a long class name wraps */
.plots, .gallery { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; } figcaption { font-size: .9em; color: #555; }
.plots img { max-width: 100%; border: 1px solid #eee; }
.gallery img { max-width: 380px; border: 1px solid #ccc; }
.note { color: #8a6d3b; background: #fcf8e3; padding: .5em; }
.legend span { display: inline-block; padding: 0 .5em; margin-right: .5em; }
.legend .gt { border: 1px solid #fff; outline: 1px solid #000; box-shadow: inset 0 0 0 1px #000; }
"""


@dataclass
class GalleryItem:
    """One of the worst images: its per-image counts and, if drawn, its picture."""

    image_id: int
    file_name: str
    f1: float
    tp: int
    fp: int
    fn: int
    data_uri: str | None


def render_report_html(
    title: str,
    metrics: Mapping[str, Any],
    class_counts: Mapping[str, Mapping[str, int]],
    plots: Mapping[str, str],
    gallery: Sequence[GalleryItem],
    gallery_note: str,
    info: Mapping[str, Any],
) -> str:
    """Builds the report page.

    Args:
        title: page title.
        metrics: ``coco_evaluate`` result (12 numbers + ``per_class``), plus under ``"voc"``
            a ``voc_evaluate_coco`` result, shown first, when the VOC AP was computed, and the
            mask numbers (``segm_AP`` ..., ``segm_per_class``) when masks were scored: they get
            their own tables, and the gallery's legend names the masks.
        class_counts: ``{class: {"gt", "TP", "FP", "FN"}}`` from the confusion matrix.
        plots: ``{caption: data URI}`` of the plots, shown in this order.
        gallery: the worst images, worst first.
        gallery_note: a sentence shown above the gallery (empty: none).
        info: run facts shown at the top.

    Returns:
        The whole HTML document.
    """
    masks = SEGM_PREFIX + "AP" in metrics
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        _info_table(info),
        _voc_section(metrics.get("voc")),
        "<h2>Summary (COCO bbox)</h2>" if masks else "<h2>Summary (COCO)</h2>",
        _summary_table(metrics),
        "<h2>Per class, worst first</h2>",
        _per_class_table(metrics.get("per_class") or {}, class_counts),
    ]
    if masks:
        parts += [
            "<h2>Summary (COCO segm: masks)</h2>",
            _summary_table(metrics, SEGM_PREFIX),
            "<h2>Per class (masks), worst first</h2>",
            _per_class_table(metrics.get(SEGM_PREFIX + "per_class") or {}, {}, SEGM_PREFIX),
        ]
    parts += [
        "<h2>Plots</h2>",
        figures_html(plots),
        "<h2>Worst images</h2>",
        _gallery(gallery, gallery_note, masks),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _undefined(value: float) -> bool:
    """Whether a metric has no value: negative (pycocotools' -1) or not finite (NaN, inf)."""
    return not (math.isfinite(value) and value >= 0)


def _number(value: Any) -> str:
    """A float with 3 decimals, ``n/a`` when :func:`_undefined`; else escaped text."""
    if isinstance(value, float):
        return "n/a" if _undefined(value) else f"{value:.3f}"
    return _esc(value)


def _info_table(info: Mapping[str, Any]) -> str:
    rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in info.items())
    return f'<table id="info">{rows}</table>' if rows else ""


def _voc_section(voc: Mapping[str, Any] | None) -> str:
    """The VOC mAP and the AP of each class (a class without positives: n/a); empty without."""
    if not voc:
        return ""
    name = "VOC07, 11-point" if voc.get("metric") == "voc07" else "VOC12, all-point"
    threshold = float(voc.get("iou_threshold", 0.5))
    rows = [f'<tr><th>mAP</th><td id="voc-map">{_number(float(voc["mAP"]))}</td></tr>']
    rows += [
        f'<tr class="voc-class"><td>{_esc(cls)}</td><td>{_number(float(ap))}</td></tr>'
        for cls, ap in (voc.get("per_class") or {}).items()
    ]
    note = (
        f"<p>AP at IoU {threshold:.2f} per class; difficult objects are ignored (a detection "
        "on one is neither a true nor a false positive). n/a: a class without non-difficult "
        "objects, left out of the mAP.</p>"
    )
    return (
        f"<h2>Summary (VOC mAP, {_esc(name)})</h2>"
        f'<table id="voc"><tr><th>class</th><th>AP</th></tr>{"".join(rows)}</table>{note}'
    )


def _summary_table(metrics: Mapping[str, Any], prefix: str = "") -> str:
    """The numbers of ``metrics`` whose key starts with ``prefix`` (``""``: the box numbers,
    without the mask ones), shown without it."""
    rows = []
    for full_key, value in metrics.items():
        if not isinstance(value, (int, float)):
            continue
        if prefix and not full_key.startswith(prefix):
            continue
        if not prefix and full_key.startswith(SEGM_PREFIX):
            continue
        key = full_key[len(prefix) :]
        description = _DESCRIPTIONS.get(key) or _recall_description(key[2:])
        number = _number(float(value))
        rows.append(f"<tr><td>{_esc(key)}</td><td>{_esc(description)}</td><td>{number}</td></tr>")
    header = "<tr><th>metric</th><th>meaning</th><th>value</th></tr>"
    note = "<p>n/a: no ground truth to average over (pycocotools reports -1).</p>"
    table_id = "summary-segm" if prefix else "summary"
    return f'<table id="{table_id}">{header}{"".join(rows)}</table>{note}'


def _recall_description(limit: str) -> str:
    """The meaning of ``AR<limit>`` (``AR1``, ``AR100``): "at most 1 detection", "... 100
    detections"."""
    return f"AR, at most {limit} detection{'' if limit == '1' else 's'} per image"


def _per_class_table(
    per_class: Mapping[str, Mapping[str, float]],
    class_counts: Mapping[str, Mapping[str, int]],
    prefix: str = "",
) -> str:
    """Classes by AP, lowest first; classes without an AP (-1: no ground truth; NaN) last. The
    box table (``prefix=""``) has the TP / FP / FN counts too, the mask one does not."""
    if not per_class:
        return "<p>No categories.</p>"
    metric_keys = list(next(iter(per_class.values())))
    count_keys = [] if prefix else ["gt", "TP", "FP", "FN"]
    header = "".join(f"<th>{_esc(k)}</th>" for k in ["class", *metric_keys, *count_keys])
    order = sorted(per_class, key=lambda n: _ap_order(float(per_class[n]["AP"]), n))
    rows = []
    for name in order:
        values = [_number(float(per_class[name][k])) for k in metric_keys]
        counts = [_number(class_counts.get(name, {}).get(k, "")) for k in count_keys]
        cells = "".join(f"<td>{v}</td>" for v in [_esc(name), *values, *counts])
        rows.append(f'<tr class="class-row">{cells}</tr>')
    absent = (
        "<p>n/a: no ground-truth object of this class in the evaluated images (AP -1 in "
        "metrics.json, as pycocotools reports it); listed last.</p>"
        if any(_undefined(float(per_class[n]["AP"])) for n in per_class)
        else ""
    )
    if prefix:
        return f'<table id="per-class-segm"><tr>{header}</tr>{"".join(rows)}</table>{absent}'
    caption = (
        "<p>TP / FP / FN: matches at IoU 0.50 among detections above the score threshold "
        "(a wrong-class match counts as an FN of its gt class and an FP of its predicted class)."
        "</p>"
    )
    return f'<table id="per-class"><tr>{header}</tr>{"".join(rows)}</table>{absent}{caption}'


def _ap_order(ap: float, name: str) -> tuple[bool, float, str]:
    """Sort key of a class: defined APs ascending, then the :func:`_undefined` ones, by name."""
    undefined = _undefined(ap)
    return undefined, 0.0 if undefined else ap, name


def figures_html(plots: Mapping[str, str]) -> str:
    """``<div class="plots">`` of ``<figure>``s: ``{caption: image data URI}``, in order."""
    figures = [
        f'<figure><img src="{_esc(uri)}" alt="{_esc(caption)}">'
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
        for caption, uri in plots.items()
    ]
    return f'<div class="plots">{"".join(figures)}</div>'


def _gallery(items: Sequence[GalleryItem], note: str, masks: bool = False) -> str:
    """The worst-images section: legend, ``note``, table of counts, drawn pictures."""
    predictions = "predictions: one colour per class, with scores"
    if masks:
        predictions += "; masks filled in that colour, ground-truth masks outlined in white"
    parts = [
        "<p>Images with the lowest F1 of the boxes at IoU 0.50 (detections above the score "
        'threshold). <span class="legend"><span class="gt">ground truth'
        f"</span><span>{predictions}</span></span></p>"
    ]
    if note:
        parts.append(f'<p class="note">{_esc(note)}</p>')
    if not items:
        return "".join(parts)
    header = "<tr><th>image</th><th>id</th><th>F1</th><th>TP</th><th>FP</th><th>FN</th></tr>"
    rows = "".join(
        f"<tr><td>{_esc(i.file_name)}</td><td>{i.image_id}</td><td>{i.f1:.3f}</td>"
        f"<td>{i.tp}</td><td>{i.fp}</td><td>{i.fn}</td></tr>"
        for i in items
    )
    parts.append(f'<table id="worst-images">{header}{rows}</table>')
    figures = [
        f'<figure><img src="{_esc(i.data_uri)}" alt="{_esc(i.file_name)}">'
        f"<figcaption>{_esc(i.file_name)}: F1 {i.f1:.2f} "
        f"(TP {i.tp}, FP {i.fp}, FN {i.fn})</figcaption></figure>"
        for i in items
        if i.data_uri is not None
    ]
    parts.append(f'<div class="gallery">{"".join(figures)}</div>')
    return "".join(parts)
