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
names, the dataset's category id of each label (``category_ids``: a COCO-trained model's label
``k`` is COCO category ``category_ids[k - 1]``) and the score threshold.

The file's suffix names its format: ``.onnx`` for ONNX, ``.pt``, ``.pth`` or ``.torchscript``
for TorchScript (:data:`FORMAT_SUFFIXES`); a path whose suffix names the other format is
refused, and other suffixes are free.
"""

from __future__ import annotations

import copy
import json
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from detseg.argument_checks import check_output_file, score_threshold_problem
from detseg.choices.export_formats import DEFAULT_OPSET, FORMATS
from detseg.engine.checkpointing.checkpoint import load_checkpoint, written_atomically
from detseg.engine.checkpointing.model_files import model_from_checkpoint
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

#: The file suffixes (lower case) that name each format; a path with another format's suffix
#: is refused (a TorchScript file named ``.onnx`` fails in onnxruntime, and the reverse).
FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "onnx": (".onnx",),
    "torchscript": (".pt", ".pth", ".torchscript"),
}


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
        category_ids: the dataset's category id of each label (label ``k`` is category
            ``category_ids[k - 1]``, e.g. a COCO ``category_id``); ``1..K`` where the
            checkpoint stores none.
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
    category_ids: tuple[int, ...] = ()

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
    model, name, classes, _ = _load_source(source, classes, name)
    return model, name, classes


def _load_source(
    source: nn.Module | str | Path, classes: list[str] | None, name: str | None
) -> tuple[nn.Module, str, list[str], list[int] | None]:
    """:func:`load_for_export`, and the category ids a checkpoint's ``meta["cat_ids"]`` stores
    (``None`` for a model, or a checkpoint without them)."""
    if isinstance(source, (str, Path)):
        state = load_checkpoint(source)
        model, config, stored = model_from_checkpoint(state, "cpu", source=str(source))
        name = name or str(config.get("model", {}).get("name", type(model).__name__))
        cat_ids = (state.get("meta") or {}).get("cat_ids") or None
        return model.eval(), name, list(classes or stored), cat_ids
    model = copy.deepcopy(source).cpu().eval()
    num_classes = int(getattr(model, "num_classes", 0))
    default = [f"class_{k}" for k in range(1, num_classes + 1)]
    return model, name or type(model).__name__, list(classes or default), None


def check_class_count(model: nn.Module, name: str, classes: Sequence[str]) -> None:
    """Raise :class:`ExportError` for class names that are not one per foreground class of
    ``model`` (its ``num_classes``): the sidecar would describe labels (and a segmenter's
    ``K + 1`` logit channels) that the file does not output."""
    num_classes = getattr(model, "num_classes", None)
    if isinstance(num_classes, int) and len(classes) != num_classes:
        raise ExportError(
            f"{name}: {len(classes)} class names {list(classes)[:10]} for a model of "
            f"{num_classes} classes; give one name per class, in label order"
        )


def checked_category_ids(
    category_ids: Sequence[object] | None, num_classes: int, source: str
) -> tuple[int, ...]:
    """The category id of each of ``num_classes`` labels (default ``1..K``), checked: one
    distinct integer per class. ``source`` names where they came from in the message."""
    if category_ids is None:
        return tuple(range(1, num_classes + 1))
    ids = list(category_ids) if isinstance(category_ids, (list, tuple)) else None
    if ids is None or not all(_is_integer(i) for i in ids):
        raise ExportError(
            f"{source}: category ids must be a list of integers, got {category_ids!r}"
        )
    if len(ids) != num_classes or len(set(ids)) != len(ids):
        raise ExportError(
            f"{source}: {len(ids)} category ids {ids[:10]} for {num_classes} classes; give one "
            "distinct id per class, in label order"
        )
    return tuple(int(cast(int, i)) for i in ids)


def format_of(path: str | Path) -> str | None:
    """The format a file's suffix names (:data:`FORMAT_SUFFIXES`), ``None`` for another."""
    suffix = Path(path).suffix.lower()
    return next((f for f, suffixes in FORMAT_SUFFIXES.items() if suffix in suffixes), None)


def check_format_suffix(path: Path, format: str) -> None:
    """Raise :class:`ExportError` for a file whose suffix names another format than ``format``
    (``x.onnx`` for TorchScript, ``x.pt`` for ONNX; see :data:`FORMAT_SUFFIXES`)."""
    named = format_of(path)
    if named is not None and named != format:
        expected = FORMAT_SUFFIXES.get(format, ("",))[0]
        raise ExportError(
            f"{path}: a {path.suffix} file is {named}, but the format is {format}; name the "
            f"file {path.stem}{expected} or export with format {named} (--format {named})"
        )


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
    category_ids: Sequence[int] | None = None,
) -> ExportResult:
    """Export a detector or segmenter for inference on raw images.

    Args:
        model_or_checkpoint: a detseg model (not modified: a CPU copy is exported) or a
            checkpoint file.
        path: the file to write (its folder is created); ``<path>.json`` is written next to it.
            Neither may be a folder, nor the checkpoint exported; its suffix may not name the
            other format (:data:`FORMAT_SUFFIXES`). Each is written to a
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
        category_ids: the dataset's category id of each label, in label order (default: the
            checkpoint's ``meta["cat_ids"]``, else ``1..K``); the sidecar's ``category_ids``.

    Returns:
        The :class:`ExportResult`.

    Raises:
        ExportError: a model or a combination of settings that cannot be exported (a
            detector with ``batch_size > 1``, a mask head, an opset out of range, an opset,
            ``batch_size`` or ``input_size`` side that is not an integer, a score
            threshold outside ``[0, 1]`` or given for a segmenter, an operation the ONNX opset
            lacks, a suffix of the other format, class names or category ids that are not one
            per class, ...).
        IsADirectoryError: ``path`` or ``<path>.json`` is a folder.
        ValueError: ``path`` or ``<path>.json`` is the checkpoint file.
    """
    check_integer_settings(opset if format == "onnx" else None, input_size, batch_size)
    path = check_output_paths(model_or_checkpoint, path)
    check_format_suffix(path, format)
    problem = score_threshold_problem(score_thresh, "score_thresh")
    if problem:
        raise ExportError(problem)
    model, name, classes, stored_ids = _load_source(model_or_checkpoint, classes, name)
    check_class_count(model, name, classes)
    if category_ids is not None:
        ids = checked_category_ids(category_ids, len(classes), "category_ids")
    else:
        where = f"{model_or_checkpoint}: meta.cat_ids"  # stored_ids come from a checkpoint
        ids = checked_category_ids(stored_ids, len(classes), where)
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
        category_ids=ids,
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
