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
``k`` is COCO category ``category_ids[k - 1]``) and the score threshold
(:mod:`detseg.export.sidecar`).

The file's suffix names its format: ``.onnx`` for ONNX, ``.pt``, ``.pth`` or ``.torchscript``
for TorchScript (:data:`~detseg.export.export_settings.FORMAT_SUFFIXES`); a path whose suffix
names the other format is refused, and other suffixes are free. That check and the others made
before anything is written are :mod:`detseg.export.export_settings`.

The steps live with their topics: the model exported (:mod:`detseg.export.export_source`), the
example traced (:mod:`detseg.export.example_input`), the file written
(:mod:`detseg.export.graph_writing`) and the record returned
(:mod:`detseg.export.export_result`); this module runs them in turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np
from torch import nn

from detseg.argument_checks import plain_number, score_threshold_problem
from detseg.choices.export_formats import DEFAULT_OPSET
from detseg.engine.runtime.model_api import Detector
from detseg.export.example_input import example_images, traced_size
from detseg.export.export_result import ExportResult
from detseg.export.export_settings import (
    check_class_count,
    check_export_settings,
    check_format,
    check_format_suffix,
    check_integer_settings,
    check_onnx_installed,
    check_output_paths,
    checked_category_ids,
)
from detseg.export.export_source import check_source, load_source_sized
from detseg.export.graph_writing import remove_stale_exports, write_graph
from detseg.export.sidecar import write_sidecar
from detseg.export.wrappers import ExportError, export_graph
from detseg.run_folders import checkpoint_of


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

    Tracing and writing the file (seconds to minutes) log an INFO line when they start and
    one with their seconds when they end (:func:`~detseg.timed_stages.timed_stage`).

    Args:
        model_or_checkpoint: a detseg model (not modified: a CPU copy is exported), a
            checkpoint file, or a run folder written by ``tools/train.py`` (its ``best.pt``,
            else its ``last.pt``; an INFO line names the file read).
        path: the file to write (its folder is created); ``<path>.json`` is written next to it.
            Neither may be a folder, nor the checkpoint exported; its suffix may not name the
            other format (:data:`~detseg.export.export_settings.FORMAT_SUFFIXES`). Each is
            written to a temporary file beside it that replaces it once complete: a failed
            export leaves an earlier one as it was, and the temporary files that a killed
            export of the same ``path`` left are removed.
        format: ``"onnx"`` (torch's TorchScript-based exporter, opset ``opset``) or
            ``"torchscript"`` (``torch.jit.trace``).
        dynamic: free ``H, W`` (and a segmenter's batch size) in the ONNX graph instead of
            fixed ones. A TorchScript trace follows any input size either way; ``dynamic``
            sets the shape its sidecar declares and the sizes :func:`verify_export` tries.
        opset: ONNX opset, 11..20 (18 and up for a segmenter with ``input.scale != 1``).
        input_size: ``(H, W)`` of the traced example, the input size of a static export
            (default :func:`~detseg.export.example_input.default_input_size`: a detector's
            resize size; a segmenter checkpoint's training crop, the last fixed-size crop or
            resize of its config's augmentations, else 512 x 512).
        batch_size: images per call of a static segmenter export; detectors take 1.
        score_thresh: a detector's score threshold in the graph, in ``[0, 1]`` (default: the
            model's); ``None`` for a segmenter.
        classes, name: see :func:`~detseg.export.export_source.load_for_export`.
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
            per class (or names given as one string), ``dynamic`` other than ``True`` or
            ``False``, an input size whose example image does not fit in memory, ...).
        ConfigError: the checkpoint's config does not pass the config check of
            :func:`detseg.load` and ``tools/eval.py`` (an unknown ``model.name`` or key).
        CheckpointError: a folder without ``best.pt`` or ``last.pt``, or a file that is no
            checkpoint.
        IsADirectoryError: ``path`` or ``<path>.json`` is a folder.
        ValueError: ``path`` or ``<path>.json`` is the checkpoint file.
        TypeError: ``model_or_checkpoint`` is no model, file or folder (``None``).
    """
    onnx_opset, input_size, batch_size = check_integer_settings(
        opset if format == "onnx" else None, input_size, batch_size
    )
    opset = opset if onnx_opset is None else onnx_opset  # np.int64(18): the int 18
    check_format(format)  # before any file is compared with it or read
    check_source(model_or_checkpoint)
    if not isinstance(dynamic, (bool, np.bool_)):  # the string "no" would count as true
        raise ExportError(f"dynamic must be True or False, got {dynamic!r}")
    dynamic = bool(dynamic)  # a numpy bool as the Python one
    if name is not None and not isinstance(name, str):  # it is written into the sidecar's JSON
        raise ExportError(f"name must be a string, got {name!r} ({type(name).__name__})")
    if isinstance(model_or_checkpoint, (str, Path)):  # a run folder: its best.pt, else last.pt
        model_or_checkpoint = checkpoint_of(model_or_checkpoint, "exporting")
    path = check_output_paths(model_or_checkpoint, path)
    check_format_suffix(path, format)
    check_onnx_installed(format)  # before the model is loaded and traced
    score_thresh = plain_number(score_thresh)  # a 0-d tensor or numpy number: its number
    problem = score_threshold_problem(score_thresh, "score_thresh")
    if problem:
        raise ExportError(problem)
    model, name, classes, stored_ids, data, trained = load_source_sized(
        model_or_checkpoint, classes, name
    )
    check_class_count(model, name, classes)
    ids = _category_ids(model_or_checkpoint, classes, category_ids, stored_ids)
    task = check_export_settings(model, name, format, opset, batch_size)
    _set_score_thresh(model, name, task, score_thresh)
    height, width = traced_size(model, input_size, trained)
    graph = export_graph(model, name)
    example = example_images(batch_size, height, width)
    remove_stale_exports(Path(f"{path}.json"))
    write_graph(graph, example, path, format, task, dynamic, opset, name)
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
        checkpoint=model_or_checkpoint if isinstance(model_or_checkpoint, Path) else None,
        data=data,
    )
    write_sidecar(result)
    return result


def _category_ids(
    source: nn.Module | str | Path,
    classes: Sequence[str],
    category_ids: Sequence[int] | None,
    stored_ids: list[int] | None,
) -> tuple[int, ...]:
    """The category id of each label, checked (:func:`checked_category_ids`): ``category_ids``
    as given, else the checkpoint's ``meta["cat_ids"]`` (``stored_ids``), else ``1..K``."""
    if category_ids is not None:
        return checked_category_ids(category_ids, len(classes), "category_ids")
    where = f"{source}: meta.cat_ids"  # stored_ids come from a checkpoint
    return checked_category_ids(stored_ids, len(classes), where)


def _set_score_thresh(model: nn.Module, name: str, task: str, score_thresh: float | None) -> None:
    """Set a detector's ``score_thresh`` in the graph to ``score_thresh`` (``None``: keep the
    model's); refuse one for a segmenter, whose graph returns logits."""
    if score_thresh is not None:
        if task != "detection":
            raise ExportError(
                f"{name}: a segmenter's graph returns logits and has no score threshold; "
                "drop {score_thresh}",
                score_thresh=score_thresh,
            )
        cast(Detector, model).score_thresh = float(score_thresh)
