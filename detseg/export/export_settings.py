"""The checks of an export's settings, made before anything is written: the format and the
file's suffix, integer settings, the output paths, class names and category ids, and the
combinations a model cannot be exported with.

Each refusal is an :class:`~detseg.export.wrappers.ExportError` that names the setting and says
what to give; :func:`~detseg.export.model_export.export_model` runs them in turn, and
``tools/export.py`` uses :func:`format_of` to take the format from the output's suffix.
"""

from __future__ import annotations

import importlib.util
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from torch import nn

from detseg.argument_checks import check_output_file, plain_number, whole_ids
from detseg.choices.export_formats import FORMATS
from detseg.config.suggest import did_you_mean
from detseg.export.onnx_export import ANTIALIAS_MIN_OPSET, MAX_OPSET, MIN_OPSET
from detseg.export.wrappers import ExportError, model_task

__all__ = [
    "FORMAT_SUFFIXES",
    "check_class_count",
    "check_export_settings",
    "check_format",
    "check_format_suffix",
    "check_onnx_installed",
    "check_integer_settings",
    "check_output_paths",
    "checked_category_ids",
    "format_of",
]

#: The file suffixes (lower case) that name each format; a path with another format's suffix
#: is refused (a TorchScript file named ``.onnx`` fails in onnxruntime, and the reverse).
FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "onnx": (".onnx",),
    "torchscript": (".pt", ".pth", ".torchscript"),
}


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
    distinct whole number per class, read by the one rule of the library's category ids
    (:func:`~detseg.argument_checks.whole_ids`: a list, tuple, 1-D array or tensor; ``3.0``
    as json holds it). ``source`` names where they came from in the message: the argument
    ``category_ids``, or a file and its key (``"m.pt: meta.cat_ids"``), whose key the message
    names as the list that is wrong (``m.pt: meta.cat_ids[1] is '3'; ...``)."""
    if category_ids is None:
        return tuple(range(1, num_classes + 1))
    where, _, name = source.rpartition(": ")
    try:
        ids = whole_ids(category_ids, name)
    except ValueError as err:
        raise ExportError(f"{where}: {err}" if where else str(err)) from None
    assert ids is not None  # whole_ids keeps only None as None
    if len(ids) != num_classes or len(set(ids)) != len(ids):
        raise ExportError(
            f"{source}: {len(ids)} category ids {ids[:10]} for {num_classes} classes; give one "
            "distinct id per class, in label order"
        )
    return tuple(ids)


def format_of(path: str | Path) -> str | None:
    """The format a file's suffix names (:data:`FORMAT_SUFFIXES`), ``None`` for another."""
    suffix = Path(path).suffix.lower()
    return next((f for f, suffixes in FORMAT_SUFFIXES.items() if suffix in suffixes), None)


def check_format(format: object) -> None:
    """Raise :class:`ExportError` for a format that is none of :data:`FORMATS` (before the
    file name is compared with it, or the model loaded), with the closest one."""
    if format not in FORMATS:
        text = str(format)
        hint = did_you_mean(text.lower(), FORMATS) or did_you_mean(text, FORMATS)
        if not hint and text.lower() in FORMATS:
            hint = f"; did you mean {text.lower()!r}?"
        raise ExportError(f"unknown export format {format!r}; choose one of {FORMATS}{hint}")


def check_format_suffix(path: Path, format: str) -> None:
    """Raise :class:`ExportError` for a file whose suffix names another format than ``format``
    (``x.onnx`` for TorchScript, ``x.pt`` for ONNX; see :data:`FORMAT_SUFFIXES`)."""
    named = format_of(path)
    if named is not None and named != format:
        expected = FORMAT_SUFFIXES.get(format, ("",))[0]
        raise ExportError(
            f"{path}: a {path.suffix} file is {named}, but the format is {format}; name the "
            f"file {path.stem}{expected} or export with {{format}}",
            format=named,
        )


def check_onnx_installed(format: str) -> None:
    """Raise :class:`ExportError` for an ONNX export without the ``onnx`` package (the
    ``export`` extra: ``make demo``'s environment and a plain ``pip install .`` lack it), which
    torch's exporter needs to write the file and which it names in a traceback only after the
    whole model is traced. One line first, with the TorchScript alternative."""
    if format == "onnx" and importlib.util.find_spec("onnx") is None:
        raise ExportError(
            "writing an ONNX file needs the onnx package: pip install onnx onnxruntime (or "
            "pip install 'detseg[export]'), or export TorchScript ({format}), which needs "
            "nothing more",
            format="torchscript",
        )


def check_export_settings(
    model: nn.Module, name: str, format: str, opset: int, batch_size: int
) -> str:
    """Raise :class:`ExportError` for a combination that cannot be exported; returns the task."""
    check_format(format)
    task = model_task(model)
    if getattr(model, "has_masks", False):
        raise ExportError(
            f"{name}: instance masks are not part of the export graphs (boxes, scores and "
            "labels only), so a model with a mask head is not exported; predict its boxes and "
            "masks with detseg.load(checkpoint).predict(...) or detseg-infer (tools/infer.py), or "
            "export a "
            "detector without masks (faster_rcnn)"
        )
    if batch_size < 1:
        raise ExportError(f"batch_size must be >= 1, got {batch_size}")
    if task == "detection" and batch_size != 1:
        raise ExportError(
            f"{name}: a detector exports for one image per call ([1, 3, H, W], as "
            "torchvision's detectors do); {batch_size} is not supported: run the exported "
            "model once per image",
            batch_size=batch_size,
        )
    if format == "onnx":
        if not MIN_OPSET <= opset <= MAX_OPSET:
            raise ExportError(
                f"{{opset}} is outside {MIN_OPSET}..{MAX_OPSET} (NonMaxSuppression needs "
                f"{MIN_OPSET}; torch's TorchScript-based exporter writes up to {MAX_OPSET})",
                opset=opset,
            )
        scale = float(getattr(model, "input_scale", 1.0))
        if scale != 1.0 and opset < ANTIALIAS_MIN_OPSET:
            raise ExportError(
                f"{name}: input scale {scale} resizes with antialiasing, which ONNX has from "
                f"opset {ANTIALIAS_MIN_OPSET} (Resize antialias=1); export with {{opset}} or "
                "higher",
                opset=ANTIALIAS_MIN_OPSET,
            )
    return task


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _items(values: object) -> list[Any] | None:
    """The items of a list, a tuple, or a 1-D numpy array or tensor (a notebook's
    ``np.arange(1, 6)``), each a plain Python number where it is a 0-d one
    (:func:`~detseg.argument_checks.plain_number`); ``None`` for anything else."""
    if getattr(values, "ndim", None) == 1 and callable(getattr(values, "tolist", None)):
        values = cast(Any, values).tolist()
    if not isinstance(values, (list, tuple)):
        return None
    return [plain_number(value) for value in values]


def check_integer_settings(
    opset: object, input_size: object, batch_size: object
) -> tuple[int | None, tuple[int, int] | None, int]:
    """Raise :class:`ExportError` for an ``opset``, ``batch_size`` or ``input_size`` side that
    is not an integer (``18.5``, ``"18"``, ``True``), or an ``input_size`` that is not
    ``(H, W)``; their ranges are checked with the model (:func:`check_export_settings`). An
    ``opset`` of ``None`` (a TorchScript export, which has none) is not checked.

    Returns:
        ``(opset, input_size, batch_size)`` as Python ints (``None`` stays ``None``): a numpy
        integer or a 0-d tensor is its int (:func:`~detseg.argument_checks.plain_number`), an
        ``input_size`` of a list or a 1-D array a tuple; the sidecar's JSON takes no other.
    """
    opset, batch_size = plain_number(opset), plain_number(batch_size)
    for key, value in (("opset", opset), ("batch_size", batch_size)):
        if value is not None and not _is_integer(value):
            raise ExportError(f"{key} must be an integer, got {value!r} ({type(value).__name__})")
    checked_opset = None if opset is None else int(cast(int, opset))
    if input_size is None:
        return checked_opset, None, int(cast(int, batch_size))
    sides = _items(input_size)
    if sides is None or len(sides) != 2 or not all(_is_integer(side) for side in sides):
        raise ExportError(f"input_size must be (H, W), two integers, got {input_size!r}")
    return checked_opset, (int(sides[0]), int(sides[1])), int(cast(int, batch_size))


def check_output_paths(source: nn.Module | str | Path, path: str | Path) -> Path:
    """``path`` as a ``Path``, checked before any work: neither it nor its ``<path>.json``
    sidecar is a folder or the checkpoint ``source`` (the same file through links too)."""
    checkpoint = source if isinstance(source, (str, Path)) else None
    check_output_file(f"{path}.json", checkpoint, name="sidecar")
    return check_output_file(path, checkpoint, name="output")
