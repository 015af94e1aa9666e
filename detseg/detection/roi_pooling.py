"""RoI feature extraction: RoIPool (Fast R-CNN) or RoIAlign (Mask R-CNN), on one or several levels.

With several FPN levels, each RoI is pooled from level
``k = floor(k0 + log2(sqrt(w * h) / 224) + 1e-6)`` clamped to the available levels (eq. 1 of the
FPN paper, Lin et al. 2017; the same rule and epsilon as ``torchvision.ops.MultiScaleRoIAlign``).

Each level's spatial scale is ``1 / stride`` of its declared stride. ``MultiScaleRoIAlign``
instead infers it from the sizes: ``2 ** round(log2(feature height / largest image height))``,
the height being that of the resized image before padding. The two agree unless the padding
(to a multiple of 32 in torchvision's detectors) makes up more than ~41% of that height, i.e.
on images resized to less than ~75 px high: a 20 x 400 image at torchvision's 800 / 1333 sizes
becomes 66 x 1333, padded to 96 x 1344; one resized to 12 x 256, padded to 32 x 256, has a
stride-4 map 8 px high, which torchvision pools at scale 8 / 12 -> 0.5 and detseg at 0.25.
There torchvision's scales are twice the true ones (and with several levels each RoI goes to
the next coarser map), so detseg's converted twins, pooling at the true strides, give other
detections than torchvision on such images.

Two ways to pool several levels:

- the RoIs grouped by level and ``torchvision.ops.roi_align`` called once per level, as
  torchvision does. The group sizes are read on the host: free on the CPU, a wait for the
  device on a GPU;
- on CUDA with Triton, RoIAlign at a fixed sampling ratio: one kernel that reads each RoI's
  own level (:func:`detseg.ops.roi_align_triton.multi_level_roi_align`), with no host read.
  Before its first use on a GPU it is run once against torchvision there.
"""

from __future__ import annotations

import math
import numbers
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal, get_args

import torch
from torch import Tensor, nn
from torchvision.ops import roi_align, roi_pool

from detseg.ops.boxes import box_area
from detseg.ops.nms import triton_installed
from detseg.ops.roi_align import check_roi_rows, roi_align_fast_backward

#: RoIAlign (bilinear samples, Mask R-CNN) or RoIPool (max over quantised bins, Fast R-CNN).
PoolerKind = Literal["align", "pool"]
POOLER_KINDS: tuple[str, ...] = get_args(PoolerKind)


def rois_from_boxes(boxes: list[Tensor]) -> Tensor:
    """Concatenate per-image boxes into ``Float[R, 5]`` rows ``(image_index, x1, y1, x2, y2)``."""
    index = [torch.full_like(b[:, :1], i) for i, b in enumerate(boxes)]
    return torch.cat([torch.cat(index), torch.cat(boxes)], dim=1)


class _RowsInRoIOrder(torch.autograd.Function):
    """Each level's pooled rows written at its RoIs' indices of one new tensor.

    One copy forward (no concatenation of the levels first) and one read of each level's rows
    backward (no full-size temporaries, as an in-place ``index_put_`` chain would make).
    """

    @staticmethod
    def forward(ctx: Any, num_rois: int, indices: list[Tensor], *pooled: Tensor) -> Tensor:
        """Per level ``Float[R_l, C, S, S]`` rows and their ``Int64[R_l]`` RoI indices ->
        ``Float[R, C, S, S]``."""
        ctx.indices = indices
        result = pooled[0].new_empty((num_rois, *pooled[0].shape[1:]))
        for index, rows in zip(indices, pooled, strict=True):
            result.index_copy_(0, index, rows)
        return result

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:
        """The gradient rows of each level's RoIs."""
        return (None, None, *(grad.index_select(0, index) for index in ctx.indices))


def _whole_strides(strides: Sequence[float], featmap_names: Sequence[str]) -> list[int]:
    """The strides as ints, each a whole number >= 1 (``4.0`` is taken as ``4``).

    Raises:
        ValueError: one line naming the strides and maps, for a stride that is fractional
            (``2.5``: truncating it would pool at the wrong scale), below 1 or not a number.
    """
    for stride in strides:
        number = isinstance(stride, numbers.Real) and not isinstance(stride, bool)
        if not number or not math.isfinite(stride) or stride != int(stride) or stride < 1:
            raise ValueError(
                f"RoIPooler strides {list(strides)} of feature maps {list(featmap_names)}: stride "
                f"{stride!r} is the map's step in input pixels and must be >= 1 and a whole "
                "number (e.g. 4, 8, 16, 32)"
            )
    return [int(s) for s in strides]


class RoIPooler(nn.Module):
    """Pool a fixed-size feature for every RoI from one or several feature maps.

    Args:
        featmap_names: names of the feature maps to pool from, finest first.
        strides: stride (in input pixels) of each of those maps, e.g. ``(4, 8, 16, 32)``;
            each a whole number >= 1, and a power of two when more than one level is used.
        output_size: pooled height/width (7 for Faster R-CNN).
        kind: ``"align"`` (bilinear RoIAlign, ``aligned=False`` like torchvision's detectors)
            or ``"pool"`` (max RoIPool, as in the Faster R-CNN paper).
        sampling_ratio: RoIAlign samples per bin side (``<= 0``: adaptive); unused by RoIPool.
        canonical_scale: RoI side mapped to ``canonical_level`` (224 in the FPN paper).
        canonical_level: pyramid level ``k0`` of a ``canonical_scale`` RoI.

    Raises:
        ValueError: If ``kind`` is unknown, ``strides`` does not have one entry per map, a
            stride is not a whole number >= 1 (a fractional one is refused, not truncated), or
            several levels have strides that are not powers of two.
    """

    def __init__(
        self,
        featmap_names: Sequence[str],
        strides: Sequence[int],
        output_size: int = 7,
        kind: str = "align",
        sampling_ratio: int = 2,
        canonical_scale: int = 224,
        canonical_level: int = 4,
    ) -> None:
        super().__init__()
        if kind not in POOLER_KINDS:
            raise ValueError(f"pooler kind '{kind}' is not one of {POOLER_KINDS}")
        if len(featmap_names) != len(strides) or not featmap_names:
            raise ValueError(f"need one stride per feature map, got {featmap_names} / {strides}")
        self.featmap_names = list(featmap_names)
        self.strides = _whole_strides(strides, featmap_names)
        self.output_size = (output_size, output_size)
        self.kind = kind
        self.sampling_ratio = sampling_ratio
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level
        log_strides = [math.log2(s) for s in self.strides]
        if len(strides) > 1 and any(v != int(v) for v in log_strides):
            raise ValueError(f"multi-level pooling needs power-of-two strides, got {strides}")
        self.k_min, self.k_max = int(log_strides[0]), int(log_strides[-1])

    def _uses_fast_backward(self, feature: Tensor) -> bool:
        """CPU training at a fixed sampling ratio: torchvision's RoIAlign with a faster
        backward that gives the same gradient (see ``detseg/ops/roi_align.py``)."""
        return (
            self.sampling_ratio > 0
            and feature.device.type == "cpu"
            and feature.dtype in (torch.float32, torch.float64)
            and feature.requires_grad
            and torch.is_grad_enabled()
        )

    def _pool_per_level(self, feature: Tensor, rois: Tensor, stride: int) -> Tensor:
        """Pool ``Float[R, 5]`` rois from one ``Float[B, C, H, W]`` map -> ``Float[R, C, S, S]``."""
        if rois.dtype != feature.dtype and not torch.is_autocast_enabled(feature.device.type):
            # a model cast to float16 / bfloat16 gets float32 RoIs (the box coder decodes half
            # precision in float32): pool in float32, as torchvision's autocast kernels do
            dtype = torch.promote_types(feature.dtype, rois.dtype)
            return self._pool_per_level(feature.to(dtype), rois.to(dtype), stride).to(feature.dtype)
        if self.kind == "align":
            align = roi_align_fast_backward if self._uses_fast_backward(feature) else roi_align
            return align(
                feature, rois, self.output_size, 1.0 / stride, self.sampling_ratio, aligned=False
            )
        if torch.is_autocast_enabled(feature.device.type):
            # torchvision's RoIPool has an autocast kernel on CUDA only (RoIAlign has one on every
            # device): under CPU autocast, pool in float32 as those kernels do
            pooled = roi_pool(feature.float(), rois.float(), self.output_size, 1.0 / stride)
            return pooled.to(feature.dtype)
        return roi_pool(feature, rois, self.output_size, 1.0 / stride)

    def _uses_one_kernel(self, feature: Tensor) -> bool:
        """RoIAlign at a fixed sampling ratio on a GPU with Triton: every level in one kernel,
        without reading the per-level counts on the host. The kernel is first checked once
        against torchvision on that GPU (a warning, and the per-level path, if it fails)."""
        if not (
            self.kind == "align"
            and self.sampling_ratio > 0
            and feature.device.type == "cuda"
            and triton_installed()
        ):
            return False
        from detseg.ops.roi_align_triton import matches_torchvision_on

        return matches_torchvision_on(str(feature.device))

    @staticmethod
    def _feature(features: OrderedDict[str, Tensor], name: str) -> Tensor:
        """The map ``name`` of ``features``; ``ValueError`` naming the maps there if missing."""
        if name not in features:
            raise ValueError(
                f"RoIPooler pools feature map '{name}' but the backbone gives {list(features)}: "
                "set the pooler's featmap_names to names of those maps"
            )
        return features[name]

    def map_levels(self, boxes: Tensor) -> Tensor:
        """Level index (0 = finest pooled map) of each ``Float[R, 4]`` xyxy box -> ``Int64[R]``."""
        scale = torch.sqrt(box_area(boxes))
        eps = torch.tensor(1e-6, dtype=scale.dtype)  # a 0-dim CPU scalar: no copy to the GPU
        level = torch.floor(self.canonical_level + torch.log2(scale / self.canonical_scale) + eps)
        return level.clamp(min=self.k_min, max=self.k_max).to(torch.int64) - self.k_min

    def forward(self, features: OrderedDict[str, Tensor], boxes: list[Tensor]) -> Tensor:
        """Pool RoI features.

        Args:
            features: feature maps ``Float[B, C, H_l, W_l]`` by name (extra names are ignored).
            boxes: per-image RoIs ``Float[R_i, 4]`` xyxy in (resized, unpadded) image pixels.

        Returns:
            ``Float[sum R_i, C, S, S]`` pooled features, in the order of the concatenated boxes.

        Raises:
            ValueError: a name of ``featmap_names`` missing from ``features``; for boxes on
                the CPU, a NaN or infinite coordinate or more box lists
                than images (:func:`~detseg.ops.roi_align.check_roi_rows`; boxes on a GPU are
                not checked, which would wait for the device).
        """
        maps = [self._feature(features, name) for name in self.featmap_names]
        rois = rois_from_boxes(boxes)
        check_roi_rows(rois, maps[0].shape[0])
        if len(maps) == 1:
            return self._pool_per_level(maps[0], rois, self.strides[0])
        levels = self.map_levels(rois[:, 1:])
        if self._uses_one_kernel(maps[0]):
            from detseg.ops.roi_align_triton import multi_level_roi_align

            scales = [1.0 / stride for stride in self.strides]
            return multi_level_roi_align(
                maps, rois, levels, self.output_size[0], scales, self.sampling_ratio
            )
        # RoIs grouped by level; the group sizes are the one host synchronisation
        order = torch.argsort(levels, stable=True)
        per_level = levels == torch.arange(len(maps), device=levels.device)[:, None]  # [L, R]
        counts = per_level.sum(dim=1).tolist()  # (bincount would read the max level too)
        indices = list(order.split(counts))
        pooled = [
            self._pool_per_level(feature, rois[index], stride).to(maps[0].dtype)
            for feature, index, stride in zip(maps, indices, self.strides, strict=True)
        ]
        return _RowsInRoIOrder.apply(rois.shape[0], indices, *pooled)

    def extra_repr(self) -> str:
        return (
            f"kind={self.kind}, featmap_names={self.featmap_names}, strides={self.strides}, "
            f"output_size={self.output_size}, sampling_ratio={self.sampling_ratio}"
        )
