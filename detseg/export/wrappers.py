"""The module that is traced for export, one per model family, and what each can export.

:func:`export_graph` wraps a detseg model in the module whose ``forward`` is the exported graph:

- detectors (:class:`~detseg.export.two_stage.FasterRCNNExport`,
  :class:`~detseg.export.single_stage.RetinaNetExport`, ``SSDExport``, ``YOLOExport``):
  ``images Float[1, 3, H, W]`` in ``[0, 1]`` -> ``boxes Float[N, 4]`` xyxy input pixels,
  ``scores Float[N]``, ``labels Int64[N]`` in ``1..K``; one image per call, as torchvision's
  exportable detectors;
- segmenters (:class:`SegmenterExport`): ``images Float[B, 3, H, W]`` in ``[0, 1]`` ->
  ``logits Float[B, K + 1, H, W]``: the plain forward pass (a checkpoint's test-time
  augmentation and CRF are not part of it).

Each graph holds the model's own preprocessing (normalisation, resizing, padding) and
post-processing (decoding, score threshold, NMS), so it takes raw images.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.detection.faster_rcnn import FasterRCNN
from detseg.detection.retinanet import RetinaNet
from detseg.detection.ssd import SSD
from detseg.detection.yolo import YOLO
from detseg.export.export_error import ExportError
from detseg.export.single_stage import RetinaNetExport, SSDExport, YOLOExport
from detseg.export.traceable import as_int, image_size
from detseg.export.two_stage import FasterRCNNExport
from detseg.segmentation.model import SegmentationModel, padded_side
from detseg.segmentation.per_image_norm import standardized_per_image

DETECTION_OUTPUTS = ("boxes", "scores", "labels")
SEGMENTATION_OUTPUTS = ("logits",)


class SegmenterExport(nn.Module):
    """``SegmentationModel.forward`` as a traceable module: normalise, pad to
    ``size_divisible`` (and, for an image a few pixels high or wide, to what keeps
    ``size_divisible`` pixels a side after the ``input_scale`` resize), rescale by
    ``input_scale`` (antialiased), backbone and head, logits upsampled to the padded size and
    cropped to the input.

    ``forward(images Float[B, 3, H, W] in [0, 1]) -> logits Float[B, K + 1, H, W]``.
    """

    def __init__(self, model: SegmentationModel) -> None:
        super().__init__()
        self.model = model

    def padded_size(self, images: Tensor) -> Tensor:
        """``Int64[2]`` ``(H, W)`` the model pads ``images`` to: its
        :func:`~detseg.segmentation.model.padded_side` of each side, on tensors.

        ``padded_side`` rounds a side up to a multiple of ``size_divisible``; where the
        ``input_scale`` resize would leave fewer than ``size_divisible`` pixels of that, it
        returns the side that keeps that many, which does not depend on the image (it is
        ``padded_side(1, ...)``, a constant of the graph). The test is the model's
        ``int(padded * input_scale) < size_divisible``, in float64 as Python computes it.
        """
        model = self.model
        divisor = max(model.size_divisible, 1)
        hw = image_size(images)
        rounded = torch.div(hw + divisor - 1, divisor, rounding_mode="floor") * divisor
        if model.input_scale == 1.0:
            return rounded
        least = padded_side(1, model.size_divisible, model.input_scale)
        scaled = rounded.to(torch.float64) * torch.tensor(model.input_scale, dtype=torch.float64)
        too_small = torch.floor(scaled) < divisor
        return torch.where(too_small, torch.full_like(rounded, least), rounded)

    def network_size(self, padded: Tensor) -> Tensor:
        """``Int64[2]`` ``(h, w)`` the network sees for the ``padded`` size ``Int64[2]``: the
        model's :func:`~detseg.segmentation.model.network_size`, ``floor(side *
        input_scale)`` in float64 as Python computes it, on tensors."""
        scale = torch.tensor(self.model.input_scale, dtype=torch.float64)
        return torch.floor(padded.to(torch.float64) * scale).to(torch.int64)

    def normalize(self, images: Tensor) -> Tensor:
        """``model.normalize(images)``, with a per-image standard deviation's ``max(H * W - 1,
        1)`` computed on tensors: a Python ``max`` of the traced size would keep the example's
        branch, and a one-pixel image would divide by zero (NaN logits)."""
        model = self.model
        if not model.per_image_norm:
            return model.normalize(images)
        pixels = images.to(model.image_mean.dtype)  # [B, 3, H, W]: sums row by row, as eager
        dof = torch.clamp(torch._shape_as_tensor(pixels.flatten(2))[2] - 1, min=1)
        return standardized_per_image(pixels, dof.to(torch.float64).sqrt().to(pixels.dtype))

    def forward(self, images: Tensor) -> Tensor:
        model = self.model
        size = image_size(images)
        padded = self.padded_size(images)
        pad = padded - size
        x = F.pad(self.normalize(images), [0, as_int(pad[1]), 0, as_int(pad[0])])
        if model.input_scale != 1.0:
            network = self.network_size(padded)
            x = F.interpolate(
                x,
                size=(as_int(network[0]), as_int(network[1])),
                mode="bilinear",
                align_corners=False,
                antialias=True,
            )
        logits = model.head(model.backbone(x))
        # always resized: the eager model skips an equal size, where bilinear is the identity
        padded_size = (as_int(padded[0]), as_int(padded[1]))
        logits = F.interpolate(logits, size=padded_size, mode="bilinear", align_corners=False)
        logits = logits[..., : as_int(size[0]), : as_int(size[1])]
        # the ONNX Resize above takes its size from the graph, so the file's declared output
        # shape loses the channel count ("Slicelogits_dim_1"); a reshape to [B, K + 1, H, W]
        # with K + 1 constant declares it (onnxruntime's get_outputs()[0].shape)
        shape = torch._shape_as_tensor(logits)
        channels = model.num_classes + 1
        return logits.reshape(as_int(shape[0]), channels, as_int(shape[2]), as_int(shape[3]))


def model_task(model: nn.Module) -> str:
    """``"detection"`` or ``"segmentation"``; raises :class:`ExportError` for other modules."""
    task = getattr(model, "task", None)
    if task not in ("detection", "segmentation"):
        raise ExportError(
            f"{type(model).__name__} is not a detseg detector or segmenter (no task "
            "'detection' / 'segmentation'); export a model built by detseg.models.build_model"
        )
    return str(task)


def export_graph(model: nn.Module, name: str | None = None) -> nn.Module:
    """The traceable module of ``model`` (which must be in eval mode, on the CPU).

    Args:
        model: a detseg detector or segmenter; the wrapper shares its modules.
        name: the model's name in error messages (default: its class name).

    Raises:
        ExportError: a model class without an export graph.
    """
    name = name or type(model).__name__
    if model.training:
        raise ExportError(f"{name}: call model.eval() before exporting")
    graph: nn.Module
    if isinstance(model, FasterRCNN):
        graph = FasterRCNNExport(model)
    elif isinstance(model, RetinaNet):
        graph = RetinaNetExport(model)
    elif isinstance(model, SSD):
        graph = SSDExport(model)
    elif isinstance(model, YOLO):
        graph = YOLOExport(model)
    elif isinstance(model, SegmentationModel):
        graph = SegmenterExport(model)
    else:
        raise ExportError(
            f"{name}: no export graph for {type(model).__name__} (exportable: FasterRCNN, "
            "RetinaNet, SSD, YOLO and SegmentationModel)"
        )
    # in eval mode like the model: exporters restore the wrapper's mode, recursively
    return graph.eval()
