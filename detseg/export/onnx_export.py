"""ONNX files from the export graphs, by torch's TorchScript-based exporter (opset 11..20).

``torch.onnx.export(..., dynamo=False)`` traces the graph module; torchvision registers the ONNX
forms of ``nms`` (``NonMaxSuppression``, opset 11), ``roi_align`` (``RoiAlign``) and
``roi_pool`` (``MaxRoiPool``). This module adds two symbolic functions of its own, registered for
the time of an export:

- ``sigmoid`` as its definition ``1 / (1 + exp(-x))`` (``Neg``, ``Exp``, ``Add``,
  ``Reciprocal``) instead of ONNX ``Sigmoid``. onnxruntime's ``Sigmoid`` kernel is a rational
  approximation that is not monotone near 1: it rounds logits from about 15.8 up to 1.0 but some
  larger ones (17.19) to ``1 - 2**-23``, where torch gives 1.0 to every logit from 16.64 up. A
  detector ranks by sigmoid scores (Faster R-CNN's RPN before its NMS and its top-n cut,
  RetinaNet's and YOLO's candidates), so confident proposals that tie at 1.0 in PyTorch (and go
  in top-k order) came in another order in onnxruntime, other boxes survived the NMS, and other
  proposals reached the RoI heads. The exponential form is monotone in onnxruntime and rounds to
  1.0 from the same logit as torch.
- the antialiased bilinear resize that a segmenter with ``input_scale != 1`` runs (``Resize``
  with ``antialias=1``, opset 18).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.onnx import symbolic_helper

from detseg.export.wrappers import ExportError

MIN_OPSET = 11  # NonMaxSuppression
MAX_OPSET = 20  # the TorchScript-based exporter's newest
ANTIALIAS_MIN_OPSET = 18  # Resize(antialias=1)


def _sigmoid(g: Any, input: Any) -> Any:
    """``aten::sigmoid`` as ``Reciprocal(1 + Exp(-x))`` (see the module docstring); a plain
    ``Sigmoid`` for an input of unknown type (the constant 1 needs its dtype)."""
    scalar_type = symbolic_helper._try_get_scalar_type(input)
    if scalar_type is None:
        return g.op("Sigmoid", input)
    one = g.op("Constant", value_t=torch.tensor(1, dtype=scalar_type.dtype()))
    return g.op("Reciprocal", g.op("Add", one, g.op("Exp", g.op("Neg", input))))


def _upsample_bilinear2d_aa(
    g: Any, input: Any, output_size: Any, align_corners: Any, scale_factors: Any
) -> Any:
    """``aten::_upsample_bilinear2d_aa`` as ``Resize`` (linear, half-pixel, antialias): the
    same triangle filter stretched by ``1 / scale`` with the weights renormalised at the
    borders (``exclude_outside=1``) as torch's kernel. The output size (a traced value) is
    ``sizes``, ``Int64[4]`` with the input's batch and channels: both torch and ``Resize``
    take the ratio of the sizes as the scale."""
    if not symbolic_helper._is_none(scale_factors):  # detseg resizes to a size only
        symbolic_helper._onnx_unsupported("antialiased resize by a scale factor", input)
    batch_channels = symbolic_helper._slice_helper(
        g, g.op("Shape", input), axes=[0], starts=[0], ends=[2]
    )
    size = g.op("Cast", output_size, to_i=torch.onnx.TensorProtoDataType.INT64)
    empty = g.op("Constant", value_t=torch.tensor([], dtype=torch.float32))
    return g.op(
        "Resize",
        input,
        empty,  # no roi
        empty,  # no scales
        g.op("Concat", batch_channels, size, axis_i=0),
        mode_s="linear",
        coordinate_transformation_mode_s="half_pixel",
        antialias_i=1,
        exclude_outside_i=1,
    )


@contextmanager
def custom_symbolics(opset: int) -> Iterator[None]:
    """The symbolic functions above, registered for ``opset`` while the block runs (so other
    exports in the process keep torch's own)."""
    symbolics: list[tuple[str, Callable[..., Any]]] = [("aten::sigmoid", _sigmoid)]
    if opset >= ANTIALIAS_MIN_OPSET:
        symbolics.append(("aten::_upsample_bilinear2d_aa", _upsample_bilinear2d_aa))
    for name, function in symbolics:
        torch.onnx.register_custom_op_symbolic(name, function, opset)
    try:
        yield
    finally:
        for name, _ in symbolics:
            torch.onnx.unregister_custom_op_symbolic(name, opset)


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

    Raises:
        ExportError: an operation of ``graph`` that the exporter cannot write in ``opset``.
    """
    with custom_symbolics(opset), warnings.catch_warnings():
        # the exporter's deprecation notice and the tracer's notes on Python values; the
        # export is checked against the model instead (detseg.export.verify)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")
        try:
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
        except torch.onnx.errors.UnsupportedOperatorError as error:
            raise ExportError(f"cannot export to ONNX opset {opset}: {error}") from error
