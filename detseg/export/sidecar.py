"""The ``<file>.json`` sidecar of an export: what the exported file takes and gives (input
shape and range, outputs and their meaning), its classes, category ids and score threshold.

A program that runs the exported file reads this instead of detseg; the description is its own
topic, apart from tracing and writing the graph (:mod:`detseg.export.graph_writing`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from detseg.engine.checkpointing.checkpoint import written_atomically

if TYPE_CHECKING:
    from detseg.export.export_result import ExportResult

__all__ = ["sidecar", "write_sidecar"]


def sidecar(result: ExportResult) -> dict[str, Any]:
    """The ``<file>.json`` description of an export: input, outputs, classes, threshold."""
    batch, _, height, width = result.input_shape
    description: dict[str, Any] = {
        "format": result.format,
        "opset": result.opset,
        "model": result.model_name,
        "task": result.task,
        "classes": list(result.classes),
        "category_ids": list(result.category_ids),
        "score_thresh": result.score_thresh,
        "input": {
            "name": "images",
            "shape": result.input_shape,
            "dtype": "float32",
            "layout": "NCHW, RGB",
            "range": [0.0, 1.0],
        },
    }
    if result.task == "detection":
        description["outputs"] = [
            _output("boxes", ["detections", 4], "float32", "xyxy, pixels of the input image"),
            _output("scores", ["detections"], "float32", "decreasing"),
            _output(
                "labels",
                ["detections"],
                "int64",
                "1..K; label k is classes[k - 1], dataset category id category_ids[k - 1]",
            ),
        ]
        return description
    channels = len(result.classes) + 1
    meaning = (
        "channel 0 is background, channel k is classes[k - 1] (dataset category id "
        "category_ids[k - 1]); argmax gives the label map"
    )
    description["outputs"] = [
        _output("logits", [batch, channels, height, width], "float32", meaning)
    ]
    description["notes"] = (
        "the plain forward pass: a checkpoint's test-time augmentation and CRF are not part of "
        "the graph"
    )
    return description


def _output(name: str, shape: list[Any], dtype: str, meaning: str) -> dict[str, Any]:
    return {"name": name, "shape": shape, "dtype": dtype, "format": meaning}


def write_sidecar(result: ExportResult) -> None:
    """Write :func:`sidecar` of ``result`` to ``result.sidecar`` (a temporary file beside it
    replaces it once complete)."""
    with written_atomically(result.sidecar) as partial:
        partial.write_text(json.dumps(sidecar(result), indent=2) + "\n")
