"""Export a detseg model or checkpoint to ONNX or TorchScript: :func:`export_model`.

The exported graph takes raw images and holds the model's own pre- and post-processing (see
:mod:`detseg.export.wrappers`):

- detectors: ``images Float[1, 3, H, W]`` RGB in ``[0, 1]`` -> ``boxes Float[N, 4]`` (xyxy
  pixels of the input image), ``scores Float[N]`` (decreasing), ``labels Int64[N]`` (``1..K``,
  ``classes[k - 1]``); one image per call (a batch of several is a runtime error of the graph);
- segmenters: ``images Float[B, 3, H, W]`` -> ``logits Float[B, K + 1, H, W]`` (channel 0 is
  background).

A static export fixes ``H, W`` (and ``B``) to ``input_size`` (and ``batch_size``); a dynamic one
leaves them free. Next to the file, ``<file>.json`` describes the input, the outputs, the class
names and the score threshold.
"""

from __future__ import annotations

import copy
import json
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from detseg.argument_checks import check_output_file, score_threshold_problem
from detseg.choices.export_formats import DEFAULT_OPSET, FORMATS
from detseg.engine.checkpointing.checkpoint import written_atomically
from detseg.engine.runtime.model_api import Detector
from detseg.export.onnx_export import ANTIALIAS_MIN_OPSET, MAX_OPSET, MIN_OPSET, write_onnx
from detseg.export.torchscript_export import write_torchscript
from detseg.export.wrappers import (
    DETECTION_OUTPUTS,
    SEGMENTATION_OUTPUTS,
    ExportError,
    export_graph,
    model_task,
)

#: Traced (and, for a static export, fixed) size of a segmenter's input by default.
DEFAULT_SEGMENTATION_SIZE = (512, 512)


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_model` wrote.

    Attributes:
        path: the exported file. sidecar: its ``.json`` description.
        format: ``"onnx"`` or ``"torchscript"``. opset: the ONNX opset (``None`` for TorchScript).
        model_name: the config's model name (or the class name). task: ``"detection"`` or
            ``"segmentation"``.
        input_size: ``(H, W)`` of the traced example: the input size of a static export.
        batch_size: images per call of a static export (1 for detectors).
        dynamic: ``H, W`` (and a segmenter's batch) are free.
        classes: foreground class names (label ``k`` is ``classes[k - 1]``).
        score_thresh: the detector's score threshold in the graph (``None``: segmenter).
        model: the exported model (an eval-mode CPU copy), the reference of
            :func:`~detseg.export.verify.verify_export`.
    """

    path: Path
    sidecar: Path
    format: str
    opset: int | None
    model_name: str
    task: str
    input_size: tuple[int, int]
    batch_size: int
    dynamic: bool
    classes: tuple[str, ...]
    score_thresh: float | None
    model: nn.Module = field(repr=False, compare=False)

    @property
    def input_shape(self) -> list[int | str]:
        """``[B, 3, H, W]`` with the free dimensions named (``batch``, ``height``, ``width``)."""
        batch: int | str = self.batch_size
        if self.dynamic and self.task == "segmentation":
            batch = "batch"
        height, width = ("height", "width") if self.dynamic else self.input_size
        return [batch, 3, height, width]


def load_for_export(
    source: nn.Module | str | Path, classes: list[str] | None = None, name: str | None = None
) -> tuple[nn.Module, str, list[str]]:
    """The model to export (an eval-mode CPU copy), its name and its class names.

    Args:
        source: a detseg model, or a checkpoint file (``tools/train.py``'s ``best.pt``).
        classes: class names (default: the checkpoint's, else ``class_1 .. class_K``).
        name: the model's name (default: the checkpoint config's ``model.name``, else the
            class name).
    """
    if isinstance(source, (str, Path)):
        from detseg.engine.checkpointing import load_model

        model, config, stored = load_model(source, "cpu")
        name = name or str(config.get("model", {}).get("name", type(model).__name__))
        return model.eval(), name, list(classes or stored)
    model = copy.deepcopy(source).cpu().eval()
    num_classes = int(getattr(model, "num_classes", 0))
    default = [f"class_{k}" for k in range(1, num_classes + 1)]
    return model, name or type(model).__name__, list(classes or default)


def default_input_size(model: nn.Module) -> tuple[int, int]:
    """The size a model works at: a fixed-size detector's input size, a resizing detector's
    ``min_size`` (square), :data:`DEFAULT_SEGMENTATION_SIZE` for a segmenter."""
    transform = getattr(model, "transform", None)
    if transform is None:
        return DEFAULT_SEGMENTATION_SIZE
    if transform.fixed_size is not None:
        return int(transform.fixed_size[0]), int(transform.fixed_size[1])
    return int(transform.min_size[-1]), int(transform.min_size[-1])


def check_export_settings(
    model: nn.Module, name: str, format: str, opset: int, batch_size: int
) -> str:
    """Raise :class:`ExportError` for a combination that cannot be exported; returns the task."""
    if format not in FORMATS:
        raise ExportError(f"unknown export format {format!r}; choose one of {FORMATS}")
    task = model_task(model)
    if getattr(model, "has_masks", False):
        raise ExportError(
            f"{name}: instance masks are not part of the export graphs (boxes, scores and "
            "labels only), so a model with a mask head is not exported; predict its boxes and "
            "masks with detseg.load(checkpoint).predict(...) or tools/infer.py, or export a "
            "detector without masks (faster_rcnn)"
        )
    if batch_size < 1:
        raise ExportError(f"batch_size must be >= 1, got {batch_size}")
    if task == "detection" and batch_size != 1:
        raise ExportError(
            f"{name}: a detector exports for one image per call ([1, 3, H, W], as "
            f"torchvision's detectors do); batch_size={batch_size} is not supported: run the "
            "exported model once per image"
        )
    if format == "onnx":
        if not MIN_OPSET <= opset <= MAX_OPSET:
            raise ExportError(
                f"opset {opset} is outside {MIN_OPSET}..{MAX_OPSET} (NonMaxSuppression needs "
                f"{MIN_OPSET}; torch's TorchScript-based exporter writes up to {MAX_OPSET})"
            )
        scale = float(getattr(model, "input_scale", 1.0))
        if scale != 1.0 and opset < ANTIALIAS_MIN_OPSET:
            raise ExportError(
                f"{name}: input scale {scale} resizes with antialiasing, which ONNX has from "
                f"opset {ANTIALIAS_MIN_OPSET} (Resize antialias=1); export with opset >= "
                f"{ANTIALIAS_MIN_OPSET}"
            )
    return task


def export_model(
    model_or_checkpoint: nn.Module | str | Path,
    path: str | Path,
    format: str = "onnx",
    dynamic: bool = False,
    opset: int = DEFAULT_OPSET,
    input_size: tuple[int, int] | None = None,
    batch_size: int = 1,
    score_thresh: float | None = None,
    classes: list[str] | None = None,
    name: str | None = None,
) -> ExportResult:
    """Export a detector or segmenter for inference on raw images.

    Args:
        model_or_checkpoint: a detseg model (not modified: a CPU copy is exported) or a
            checkpoint file.
        path: the file to write (its folder is created); ``<path>.json`` is written next to it.
            Neither may be a folder, nor the checkpoint exported. Each is written to a
            temporary file beside it that replaces it once complete: a failed export leaves
            an earlier one as it was.
        format: ``"onnx"`` (torch's TorchScript-based exporter, opset ``opset``) or
            ``"torchscript"`` (``torch.jit.trace``).
        dynamic: free ``H, W`` (and a segmenter's batch size) in the ONNX graph instead of
            fixed ones. A TorchScript trace follows any input size either way; ``dynamic``
            sets the shape its sidecar declares and the sizes :func:`verify_export` tries.
        opset: ONNX opset, 11..20 (18 and up for a segmenter with ``input.scale != 1``).
        input_size: ``(H, W)`` of the traced example, the input size of a static export
            (default :func:`default_input_size`).
        batch_size: images per call of a static segmenter export; detectors take 1.
        score_thresh: a detector's score threshold in the graph, in ``[0, 1]`` (default: the
            model's); ``None`` for a segmenter.
        classes, name: see :func:`load_for_export`.

    Returns:
        The :class:`ExportResult`.

    Raises:
        ExportError: a model or a combination of settings that cannot be exported (a
            detector with ``batch_size > 1``, a mask head, an opset out of range, an opset,
            ``batch_size`` or ``input_size`` side that is not an integer, a score
            threshold outside ``[0, 1]`` or given for a segmenter, an operation the ONNX opset
            lacks, ...).
        IsADirectoryError: ``path`` or ``<path>.json`` is a folder.
        ValueError: ``path`` or ``<path>.json`` is the checkpoint file.
    """
    check_integer_settings(opset if format == "onnx" else None, input_size, batch_size)
    path = check_output_paths(model_or_checkpoint, path)
    problem = score_threshold_problem(score_thresh, "score_thresh")
    if problem:
        raise ExportError(problem)
    model, name, classes = load_for_export(model_or_checkpoint, classes, name)
    task = check_export_settings(model, name, format, opset, batch_size)
    if score_thresh is not None:
        if task != "detection":
            raise ExportError(
                f"{name}: a segmenter's graph returns logits and has no score threshold; "
                f"drop the score threshold ({score_thresh:g}, --score-thr)"
            )
        cast(Detector, model).score_thresh = float(score_thresh)
    height, width = input_size or default_input_size(model)
    if height < 1 or width < 1:
        raise ExportError(f"input size must be positive, got {(height, width)}")
    graph = export_graph(model, name)
    example = torch.rand(batch_size, 3, height, width, generator=torch.Generator().manual_seed(0))
    path.parent.mkdir(parents=True, exist_ok=True)
    with written_atomically(path) as partial:
        if format == "onnx":
            outputs = DETECTION_OUTPUTS if task == "detection" else SEGMENTATION_OUTPUTS
            write_onnx(graph, example, partial, outputs, onnx_dynamic_axes(task, dynamic), opset)
        else:
            write_torchscript(graph, example, partial)
    result = ExportResult(
        path=path,
        sidecar=Path(f"{path}.json"),
        format=format,
        opset=opset if format == "onnx" else None,
        model_name=name,
        task=task,
        input_size=(height, width),
        batch_size=batch_size,
        dynamic=dynamic,
        classes=tuple(classes),
        score_thresh=cast(Detector, model).score_thresh if task == "detection" else None,
        model=model,
    )
    with written_atomically(result.sidecar) as partial:
        partial.write_text(json.dumps(sidecar(result), indent=2) + "\n")
    return result


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_integer_settings(opset: object, input_size: object, batch_size: object) -> None:
    """Raise :class:`ExportError` for an ``opset``, ``batch_size`` or ``input_size`` side that
    is not an integer (``18.5``, ``"18"``, ``True``), or an ``input_size`` that is not
    ``(H, W)``; their ranges are checked with the model (:func:`check_export_settings`). An
    ``opset`` of ``None`` (a TorchScript export, which has none) is not checked."""
    for key, value in (("opset", opset), ("batch_size", batch_size)):
        if value is not None and not _is_integer(value):
            raise ExportError(f"{key} must be an integer, got {value!r} ({type(value).__name__})")
    if input_size is None:
        return
    sides = tuple(input_size) if isinstance(input_size, (tuple, list)) else None
    if sides is None or len(sides) != 2 or not all(_is_integer(side) for side in sides):
        raise ExportError(f"input_size must be (H, W), two integers, got {input_size!r}")


def check_output_paths(source: nn.Module | str | Path, path: str | Path) -> Path:
    """``path`` as a ``Path``, checked before any work: neither it nor its ``<path>.json``
    sidecar is a folder or the checkpoint ``source`` (the same file through links too)."""
    checkpoint = source if isinstance(source, (str, Path)) else None
    check_output_file(f"{path}.json", checkpoint, name="sidecar")
    return check_output_file(path, checkpoint, name="output")


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


def sidecar(result: ExportResult) -> dict[str, Any]:
    """The ``<file>.json`` description of an export: input, outputs, classes, threshold."""
    batch, _, height, width = result.input_shape
    description: dict[str, Any] = {
        "format": result.format,
        "opset": result.opset,
        "model": result.model_name,
        "task": result.task,
        "classes": list(result.classes),
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
            _output("labels", ["detections"], "int64", "1..K; label k is classes[k - 1]"),
        ]
        return description
    channels = len(result.classes) + 1
    meaning = "channel 0 is background, channel k is classes[k - 1]; argmax gives the label map"
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
