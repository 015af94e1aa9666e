"""Writing a traced graph to its file: :func:`write_graph`, in either format, atomically,
with a timed log line for each stage.

The file is written to a temporary file beside it that replaces it once complete
(:func:`~detseg.engine.checkpointing.checkpoint.written_atomically`): a failed export leaves an
earlier file as it was, and the temporary files a killed export left are removed first
(:func:`remove_stale_exports`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from torch import Tensor, nn

from detseg.engine.checkpointing.checkpoint import remove_stale_temp_files_of, written_atomically
from detseg.export.onnx_export import write_onnx
from detseg.export.torchscript_export import save_torchscript, trace_torchscript
from detseg.export.wrappers import DETECTION_OUTPUTS, SEGMENTATION_OUTPUTS
from detseg.timed_stages import timed_stage

logger = logging.getLogger(__name__)


def write_graph(
    graph: nn.Module,
    example: Tensor,
    path: Path,
    format: str,
    task: str,
    dynamic: bool,
    opset: int,
    name: str,
) -> None:
    """Write ``graph`` (of the model called ``name``) traced on ``example`` to ``path`` in
    ``format`` (its folder created; a temporary file beside it replaces it once complete; those
    a killed export of ``path`` left are removed first), with a log line at the start and the
    end of each stage (:func:`~detseg.timed_stages.timed_stage`): ``tracing ...`` and
    ``writing ...`` (one stage for ONNX, whose exporter does both in one call)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_exports(path)
    tracing = f"tracing {name} on a {list(example.shape)} example"
    with written_atomically(path) as partial:
        if format == "onnx":
            outputs = DETECTION_OUTPUTS if task == "detection" else SEGMENTATION_OUTPUTS
            axes = onnx_dynamic_axes(task, dynamic)
            with timed_stage(logger, f"{tracing} and writing {path} (ONNX opset {opset})"):
                write_onnx(graph, example, partial, outputs, axes, opset)
        else:
            with timed_stage(logger, tracing):
                traced = trace_torchscript(graph, example)
            with timed_stage(logger, f"writing {path} (TorchScript)"):
                save_torchscript(traced, partial)


def remove_stale_exports(path: Path) -> None:
    """Delete the temporary files that killed exports of ``path`` (the model or its sidecar)
    left beside it, with one log line each."""
    for stale in remove_stale_temp_files_of(path):
        logger.info("removed %s, left by an interrupted export", stale)


def onnx_dynamic_axes(task: str, dynamic: bool) -> dict[str, dict[int, str]]:
    """The ONNX ``dynamic_axes``: the detection count always, the input size if ``dynamic``."""
    if task == "detection":
        axes = {name: {0: "detections"} for name in DETECTION_OUTPUTS}
        if dynamic:
            axes["images"] = {2: "height", 3: "width"}
        return axes
    if not dynamic:
        return {}
    free = {0: "batch", 2: "height", 3: "width"}
    return {"images": dict(free), "logits": dict(free)}
