"""ONNX files from the export graphs, by torch's TorchScript-based exporter (opset 11..20).

``torch.onnx.export(..., dynamo=False)`` traces the graph module; torchvision registers the ONNX
forms of ``nms`` (``NonMaxSuppression``, opset 11), ``roi_align`` (``RoiAlign``) and
``roi_pool`` (``MaxRoiPool``). This module adds the antialiased bilinear resize that a
segmenter with ``input_scale != 1`` runs (``Resize`` with ``antialias=1``, opset 18).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.onnx import symbolic_helper

MIN_OPSET = 11  # NonMaxSuppression
MAX_OPSET = 20  # the TorchScript-based exporter's newest
ANTIALIAS_MIN_OPSET = 18  # Resize(antialias=1)

_registered: set[int] = set()


def _upsample_bilinear2d_aa(
    g: Any, input: Any, output_size: Any, align_corners: Any, scale_factors: Any
) -> Any:
    """``aten::_upsample_bilinear2d_aa`` as ``Resize`` (linear, half-pixel, antialias): the
    same triangle filter stretched by ``1 / scale`` with the weights renormalised at the
    borders (``exclude_outside=1``) as torch's kernel."""
    if symbolic_helper._is_none(scale_factors):  # detseg resizes by a factor only
        symbolic_helper._onnx_unsupported("antialiased resize to a given size", input)
    scales = symbolic_helper._maybe_get_const(scale_factors, "fs")
    return g.op(
        "Resize",
        input,
        g.op("Constant", value_t=torch.tensor([], dtype=torch.float32)),  # no roi
        g.op("Constant", value_t=torch.tensor([1.0, 1.0, *scales], dtype=torch.float32)),
        mode_s="linear",
        coordinate_transformation_mode_s="half_pixel",
        antialias_i=1,
        exclude_outside_i=1,
    )


def register_symbolics(opset: int) -> None:
    """Register the symbolic functions above for ``opset`` (once per process)."""
    if opset >= ANTIALIAS_MIN_OPSET and ANTIALIAS_MIN_OPSET not in _registered:
        torch.onnx.register_custom_op_symbolic(
            "aten::_upsample_bilinear2d_aa", _upsample_bilinear2d_aa, ANTIALIAS_MIN_OPSET
        )
        _registered.add(ANTIALIAS_MIN_OPSET)


def write_onnx(
    graph: nn.Module,
    example: Tensor,
    path: Path,
    output_names: Sequence[str],
    dynamic_axes: dict[str, dict[int, str]],
    opset: int,
) -> None:
    """Trace ``graph`` on ``example`` and write the ONNX file.

    Args:
        graph: the export module (see :mod:`detseg.export.wrappers`).
        example: its input ``Float[B, 3, H, W]``.
        path: the file to write.
        output_names: names of the graph outputs, in order.
        dynamic_axes: ``{input or output name: {axis: symbolic name}}``; axes not named are
            fixed to the example's size.
        opset: ONNX opset, ``MIN_OPSET..MAX_OPSET``.
    """
    register_symbolics(opset)
    with warnings.catch_warnings():
        # the exporter's deprecation notice and the tracer's notes on Python values; the
        # export is checked against the model instead (detseg.export.verify)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")
        torch.onnx.export(
            graph,
            (example,),
            str(path),
            dynamo=False,
            opset_version=opset,
            input_names=["images"],
            output_names=list(output_names),
            dynamic_axes=dynamic_axes,
            do_constant_folding=True,
        )
