"""SSD default boxes (Liu et al. 2016, section 2.2 "Choosing scales and aspect ratios").

Level ``k`` of ``m`` levels has scale ``s_k`` (a fraction of the image side). Its default
boxes, centred on every cell of the feature map, are (as fractions ``(w, h)`` of the image):

- ``(s_k, s_k)`` and ``(s'_k, s'_k)`` with ``s'_k = sqrt(s_k * s_{k+1})`` (the extra scale);
- ``(s_k * sqrt(a), s_k / sqrt(a))`` and ``(s_k / sqrt(a), s_k * sqrt(a))`` for every aspect
  ratio ``a`` of the level (each ``a`` gives ``a`` and ``1 / a``).

Without explicit ``scales``, ``s_k = s_min + (s_max - s_min) * k / (m - 1)`` for
``k = 0..m-1`` and ``s_m = 1``. With ``clip``, widths and heights are clamped to ``[0, 1]``
(before the conversion to corners, so boxes may still extend past the image).
A cell ``(i, j)`` of an ``h x w`` map has its centre at ``((j + 0.5) / f_x, (i + 0.5) / f_y)``
where ``f = image side / step`` when ``steps`` are given, else ``f`` is the map size.

The floating-point operations follow torchvision's ``DefaultBoxGenerator`` so that converted
SSD models decode identical boxes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor


def default_box_scales(num_levels: int, min_ratio: float, max_ratio: float) -> list[float]:
    """The ``num_levels + 1`` scales ``s_0..s_m`` spread linearly from ``min_ratio``.

    Args:
        num_levels: Number of feature levels ``m``.
        min_ratio: ``s_min``, scale of the first level (fraction of the image side).
        max_ratio: ``s_max``, scale of the last level.

    Returns:
        ``[s_0, ..., s_{m-1}, 1.0]`` (``[min_ratio, max_ratio]`` for a single level).
    """
    if num_levels == 1:
        return [min_ratio, max_ratio]
    span = max_ratio - min_ratio
    return [min_ratio + span * k / (num_levels - 1.0) for k in range(num_levels)] + [1.0]


def default_box_sizes(scales: Sequence[float], aspect_ratios: Sequence[float]) -> Tensor:
    """Relative ``(w, h)`` of the default boxes of one cell.

    Args:
        scales: ``(s_k, s_{k+1})``: the scale of this level and of the next one.
        aspect_ratios: The level's ratios ``a`` (each gives a box ``a`` and one ``1 / a``).

    Returns:
        Float32 ``[2 + 2 * len(aspect_ratios), 2]`` rows ``(w, h)`` as fractions of the image:
        ``s_k``, ``s'_k``, then ``(wide, tall)`` per ratio.
    """
    s_k, s_next = scales
    extra = math.sqrt(s_k * s_next)
    sizes = [[s_k, s_k], [extra, extra]]
    for ratio in aspect_ratios:
        root = math.sqrt(ratio)
        sizes += [[s_k * root, s_k / root], [s_k / root, s_k * root]]
    return torch.as_tensor(sizes, dtype=torch.float32)


class DefaultBoxGenerator:
    """SSD's default boxes for every cell of every feature level (see the module docstring).

    Args:
        aspect_ratios: One list of ratios per level, e.g. ``[[2], [2, 3], [2, 3], ...]``.
        min_ratio: ``s_min`` when ``scales`` is not given.
        max_ratio: ``s_max`` when ``scales`` is not given.
        scales: Explicit ``m + 1`` scales (SSD300: ``0.07, 0.15, ..., 1.05``).
        steps: One step (pixels) per level that places the cell centres; ``None`` uses the
            feature map size.
        clip: Clamp relative widths/heights into ``[0, 1]``.

    Raises:
        ValueError: If ``aspect_ratios`` is empty, ``steps`` does not have one entry per level,
            or ``scales`` does not have ``m + 1`` entries.

    Example:
        >>> gen = DefaultBoxGenerator([[2]], scales=[0.2, 0.8])
        >>> gen((100, 100), [(1, 1)])[:2].round(decimals=4)  # float32 rounding aside
        tensor([[40., 40., 60., 60.],
                [30., 30., 70., 70.]])
    """

    def __init__(
        self,
        aspect_ratios: Sequence[Sequence[float]],
        min_ratio: float = 0.15,
        max_ratio: float = 0.9,
        scales: Sequence[float] | None = None,
        steps: Sequence[int] | None = None,
        clip: bool = True,
    ) -> None:
        num_levels = len(aspect_ratios)
        if num_levels == 0:
            raise ValueError("aspect_ratios must have one list of ratios per feature level")
        if steps is not None and len(steps) != num_levels:
            raise ValueError(f"steps has {len(steps)} entries for {num_levels} feature levels")
        if scales is None:
            scales = default_box_scales(num_levels, min_ratio, max_ratio)
        if len(scales) != num_levels + 1:
            raise ValueError(
                f"scales must have num_levels + 1 = {num_levels + 1} entries (one per level and "
                f"the extra s_m), got {len(scales)}"
            )
        self.aspect_ratios = [list(r) for r in aspect_ratios]
        self.scales = [float(s) for s in scales]
        self.steps = None if steps is None else [int(s) for s in steps]
        self.clip = clip
        self.cell_sizes = [
            default_box_sizes(self.scales[k : k + 2], self.aspect_ratios[k])
            for k in range(num_levels)
        ]

    def num_anchors_per_location(self) -> list[int]:
        """Boxes per cell of each level: ``2 + 2 * len(aspect_ratios[k])``."""
        return [2 + 2 * len(r) for r in self.aspect_ratios]

    def _relative_per_level(
        self,
        k: int,
        feature_size: tuple[int, int],
        image_size: tuple[int, int],
        dtype: torch.dtype,
    ) -> Tensor:
        """``[h * w * P, 4]`` boxes of level ``k``: cxcywh, fractions of the image; centers
        rounded to ``dtype``, the result in ``dtype`` promoted with float32."""
        h, w = feature_size
        if self.steps is not None:
            f_x, f_y = image_size[1] / self.steps[k], image_size[0] / self.steps[k]
        else:
            f_x, f_y = w, h
        centers_x = ((torch.arange(0, w) + 0.5) / f_x).to(dtype=dtype)
        centers_y = ((torch.arange(0, h) + 0.5) / f_y).to(dtype=dtype)
        grid_y, grid_x = torch.meshgrid(centers_y, centers_x, indexing="ij")
        sizes = self.cell_sizes[k]
        num_per_cell = sizes.shape[0]
        centers = torch.stack((grid_x.reshape(-1), grid_y.reshape(-1)), dim=-1)  # [h*w, 2]
        centers = centers.repeat_interleave(num_per_cell, dim=0)  # [h*w*P, 2]
        sizes = sizes.clamp(min=0, max=1) if self.clip else sizes
        # the sizes stay float32 and the concatenation promotes, as in torchvision: float16 or
        # bfloat16 centers with float32 sizes give float32 boxes
        return torch.cat((centers, sizes.repeat(h * w, 1)), dim=1)

    def __call__(
        self,
        image_size: tuple[int, int],
        feature_sizes: Sequence[tuple[int, int]],
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
    ) -> Tensor:
        """Default boxes for a batch of ``image_size``.

        Args:
            image_size: ``(H, W)`` of the (fixed-size) batch tensor.
            feature_sizes: ``(h_k, w_k)`` of each level, in the order of ``aspect_ratios``.
            dtype: Floating dtype of the result.
            device: Device of the result.

        Returns:
            ``[sum_k h_k * w_k * P_k, 4]`` xyxy boxes in ``dtype`` (float32 for float16 and
            bfloat16, whose centers are rounded to ``dtype``, as torchvision's), in pixels of
            ``image_size`` (not clipped to it), ordered level -> y -> x -> box (``s_k``,
            ``s'_k``, then the ratio pairs).

        Raises:
            ValueError: If ``feature_sizes`` does not have one entry per level.
        """
        if len(feature_sizes) != len(self.aspect_ratios):
            raise ValueError(
                f"got {len(feature_sizes)} feature maps but the generator has "
                f"{len(self.aspect_ratios)} levels of aspect_ratios; they must match"
            )
        height, width = int(image_size[0]), int(image_size[1])
        relative = torch.cat(
            [
                self._relative_per_level(k, (int(h), int(w)), (height, width), dtype)
                for k, (h, w) in enumerate(feature_sizes)
            ]
        ).to(device)
        scale = torch.tensor([width, height], device=relative.device)
        centers, sizes = relative[:, :2], relative[:, 2:]
        return torch.cat(((centers - 0.5 * sizes) * scale, (centers + 0.5 * sizes) * scale), -1)
