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
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn

from detseg.argument_checks import score_threshold_problem
from detseg.choices.export_formats import DEFAULT_OPSET
from detseg.config import config_from_dict
from detseg.engine.checkpointing.checkpoint import (
    load_checkpoint,
    remove_stale_temp_files_of,
    written_atomically,
)
from detseg.engine.checkpointing.model_files import model_from_checkpoint
from detseg.engine.runtime.model_api import Detector
from detseg.export.export_settings import (
    check_class_count,
    check_export_settings,
    check_format_suffix,
    check_integer_settings,
    check_output_paths,
    checked_category_ids,
)
from detseg.export.onnx_export import write_onnx
from detseg.export.sidecar import write_sidecar
from detseg.export.torchscript_export import save_torchscript, trace_torchscript
from detseg.export.wrappers import (
    DETECTION_OUTPUTS,
    SEGMENTATION_OUTPUTS,
    ExportError,
    export_graph,
)
from detseg.memory_errors import is_out_of_memory
from detseg.run_folders import checkpoint_of
from detseg.timed_stages import timed_stage

logger = logging.getLogger(__name__)

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
        category_ids: the dataset's category id of each label (label ``k`` is category
            ``category_ids[k - 1]``, e.g. a COCO ``category_id``); ``1..K`` where the
            checkpoint stores none.
        score_thresh: the detector's score threshold in the graph (``None``: segmenter).
        model: the exported model (an eval-mode CPU copy), the reference of
            :func:`~detseg.export.verify.verify_export`.
        checkpoint: the checkpoint file exported (``None`` for a model).
        data: the checkpoint config's ``data`` section (flat, as ``build_dataset`` takes it;
            ``None`` for a model): where :func:`~detseg.export.check_images.check_images`
            finds the val split's images.
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
    checkpoint: Path | None = None
    data: dict[str, Any] | None = field(default=None, repr=False, compare=False)

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
        source: a detseg model, a checkpoint file (``tools/train.py``'s ``best.pt``) or a run
            folder (its ``best.pt``, else its ``last.pt``, logged:
            :func:`~detseg.run_folders.checkpoint_of`).
        classes: class names (default: the checkpoint's, else ``class_1 .. class_K``).
        name: the model's name (default: the checkpoint config's ``model.name``, else the
            class name).

    Raises:
        TypeError: ``source`` is no model, file or folder (``None``).
        ExportError: ``classes`` is no list of names (a string).
    """
    model, name, classes, _, _ = _load_source(source, classes, name)
    return model, name, classes


def _load_source(
    source: nn.Module | str | Path, classes: list[str] | None, name: str | None
) -> tuple[nn.Module, str, list[str], list[int] | None, dict[str, Any] | None]:
    """:func:`load_for_export`, the category ids a checkpoint's ``meta["cat_ids"]`` stores
    (``None`` for a model, or a checkpoint without them) and its config's flat ``data``
    section (``None`` for a model)."""
    _check_source(source)
    classes = _name_list(classes)
    if isinstance(source, (str, Path)):
        source = checkpoint_of(source, "exporting")  # a run folder: its best.pt, else last.pt
        state = load_checkpoint(source)
        # The config check of detseg.load and tools/eval.py: an unknown model.name or key is
        # the same line in every tool, and the model built is the one they build.
        cfg = config_from_dict(state["config"], source=str(source))
        model, config, stored = model_from_checkpoint(
            state, "cpu", cfg.model.to_dict(), source=str(source)
        )
        name = name or str(config.get("model", {}).get("name", type(model).__name__))
        cat_ids = (state.get("meta") or {}).get("cat_ids") or None
        data = cfg.data.dataset_kwargs()
        return model.eval(), name, list(classes or stored), cat_ids, data
    model = copy.deepcopy(source).cpu().eval()
    num_classes = int(getattr(model, "num_classes", 0))
    default = [f"class_{k}" for k in range(1, num_classes + 1)]
    return model, name or type(model).__name__, list(classes or default), None, None


def _name_list(classes: Any) -> list[str] | None:
    """``classes`` read once into a list of ``str`` (an iterator, a numpy array of names);
    ``None`` stays ``None``.

    Raises:
        ExportError: one string (it would be read as one name per letter) or an item that is
            no string.
    """
    if classes is None:
        return None
    names = (
        None if isinstance(classes, str) else [str(c) if isinstance(c, str) else c for c in classes]
    )
    if names is None or not all(isinstance(c, str) for c in names):
        raise ExportError(
            f"classes must be a list of class names in label order (label k is "
            f"classes[k - 1]), got {classes!r:.80}"
        )
    return names


def _check_source(source: object) -> None:
    """Refuse a source that is no model, checkpoint file or run folder (``None``, a number,
    an ``nn.Module`` class instead of a model).

    Raises:
        TypeError: naming what was given and what to give.
    """
    if not isinstance(source, (nn.Module, str, Path)):
        raise TypeError(
            f"give a detseg model, a checkpoint file or a run folder to export, got "
            f"{type(source).__name__} {source!r:.60}"
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
    check_integer_settings(opset if format == "onnx" else None, input_size, batch_size)
    _check_source(model_or_checkpoint)
    if not isinstance(dynamic, (bool, np.bool_)):  # the string "no" would count as true
        raise ExportError(f"dynamic must be True or False, got {dynamic!r}")
    dynamic = bool(dynamic)  # a numpy bool as the Python one
    if isinstance(model_or_checkpoint, (str, Path)):  # a run folder: its best.pt, else last.pt
        model_or_checkpoint = checkpoint_of(model_or_checkpoint, "exporting")
    path = check_output_paths(model_or_checkpoint, path)
    check_format_suffix(path, format)
    problem = score_threshold_problem(score_thresh, "score_thresh")
    if problem:
        raise ExportError(problem)
    model, name, classes, stored_ids, data = _load_source(model_or_checkpoint, classes, name)
    check_class_count(model, name, classes)
    ids = _category_ids(model_or_checkpoint, classes, category_ids, stored_ids)
    task = check_export_settings(model, name, format, opset, batch_size)
    _set_score_thresh(model, name, task, score_thresh)
    height, width = _traced_size(model, input_size)
    graph = export_graph(model, name)
    example = _example_images(batch_size, height, width)
    remove_stale_exports(Path(f"{path}.json"))
    _write_graph(graph, example, path, format, task, dynamic, opset, name)
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
                f"drop the score threshold ({score_thresh:g}, --score-thr)"
            )
        cast(Detector, model).score_thresh = float(score_thresh)


def _traced_size(model: nn.Module, input_size: tuple[int, int] | None) -> tuple[int, int]:
    """``(H, W)`` of the traced example: ``input_size``, else :func:`default_input_size`;
    refused unless both sides are positive."""
    height, width = input_size or default_input_size(model)
    if height < 1 or width < 1:
        raise ExportError(f"input size must be positive, got {(height, width)}")
    return height, width


def _example_images(batch_size: int, height: int, width: int) -> Tensor:
    """The traced example ``Float[B, 3, H, W]``: uniform noise, the same at every export.

    Raises:
        ExportError: the example does not fit in memory (``--input-size 100000``), naming the
            size; raised before any file is written.
    """
    try:
        generator = torch.Generator().manual_seed(0)
        return torch.rand(batch_size, 3, height, width, generator=generator)
    except (MemoryError, RuntimeError) as error:
        if not is_out_of_memory(error):  # the CPU allocator's failure is a RuntimeError
            raise
        gib = batch_size * 3 * height * width * 4 / 2**30
        raise ExportError(
            f"input size {height} x {width} (batch {batch_size}): the example image of "
            f"{gib:.1f} GiB does not fit in memory; give a smaller input size or batch size "
            "(--input-size, --batch-size)"
        ) from error


def _write_graph(
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
