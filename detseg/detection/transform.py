"""Detection input transform: normalise, resize, pad into a batch, and map boxes back.

The resize arithmetic (a Python-float scale factor passed to bilinear ``interpolate`` with
``recompute_scale_factor=True``, and float32 per-axis ratios for boxes) is the one torchvision's
R-CNN transform uses in eval mode, so models converted with ``from_torchvision`` see the same
pixels and give the same boxes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.backbones.weights import IMAGENET_MEAN, IMAGENET_STD
from detseg.detection.validation import check_devices, check_targets, target_list
from detseg.ops.boxes import clip_boxes_to_image


@dataclass
class ImageBatch:
    """A padded batch of images.

    Attributes:
        tensors: ``Float[B, 3, Hp, Wp]`` normalised images, zero padded at the bottom/right.
        image_sizes: ``(h, w)`` of each resized image before padding.
    """

    tensors: Tensor
    image_sizes: list[tuple[int, int]]


def resize_boxes(boxes: Tensor, old_size: Sequence[int], new_size: Sequence[int]) -> Tensor:
    """Scale xyxy boxes from an image of ``old_size`` to one of ``new_size``.

    Args:
        boxes: ``Float[N, 4]`` xyxy absolute pixels in the ``old_size`` image.
        old_size: ``(h, w)`` of the image the boxes refer to.
        new_size: ``(h, w)`` of the target image.

    Returns:
        ``Float[N, 4]`` xyxy boxes in ``new_size`` pixels.
    """
    # float32 ratios as 0-dim CPU tensors: scalars on any device, no copy to the GPU
    ratio_h, ratio_w = (
        torch.tensor(new, dtype=torch.float32) / torch.tensor(old, dtype=torch.float32)
        for new, old in zip(new_size, old_size, strict=True)
    )
    x1, y1, x2, y2 = boxes.unbind(1)
    return torch.stack((x1 * ratio_w, y1 * ratio_h, x2 * ratio_w, y2 * ratio_h), dim=1)


class DetectionTransform(nn.Module):
    """Normalise, resize and batch images (and their targets) for a two-stage detector.

    Args:
        min_size: target length of the shorter side; a tuple picks one at random per image
            in training mode (multi-scale training) and uses the last one in eval mode.
        max_size: upper bound on the longer side after resizing.
        image_mean: per-channel mean subtracted from ``[0, 1]`` RGB images.
        image_std: per-channel std the images are divided by.
        size_divisible: the padded batch height/width are multiples of this.
        fixed_size: ``(height, width)``: resize every image to exactly this size instead of
            using ``min_size``/``max_size`` (aspect ratio is not kept).
        num_classes: number of foreground classes, used to check target labels (``None``
            skips the label range check).

    Raises:
        ValueError: If a size is not positive, ``image_mean``/``image_std`` do not have 3
            values, or a std is not positive.
    """

    _mean: Tensor  # Float[3, 1, 1] buffer: image_mean on the model's device
    _std: Tensor  # Float[3, 1, 1] buffer: image_std on the model's device

    def __init__(
        self,
        min_size: int | Sequence[int],
        max_size: int,
        image_mean: Sequence[float] = IMAGENET_MEAN,
        image_std: Sequence[float] = IMAGENET_STD,
        size_divisible: int = 32,
        fixed_size: Sequence[int] | None = None,
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        self.min_size = (min_size,) if isinstance(min_size, int) else tuple(min_size)
        if not self.min_size or min(self.min_size) <= 0 or max_size <= 0:
            raise ValueError(f"min_size {min_size} and max_size {max_size} must be positive")
        self.max_size = max_size
        self.image_mean = tuple(float(v) for v in image_mean)
        self.image_std = tuple(float(v) for v in image_std)
        for name, values in (("image_mean", self.image_mean), ("image_std", self.image_std)):
            if len(values) != 3:
                raise ValueError(f"{name} must have 3 values (R, G, B), got {list(values)}")
        if min(self.image_std) <= 0:
            raise ValueError(f"image_std values must be > 0, got {list(self.image_std)}")
        # on the model's device once (not copied there for every image); not in state dicts
        self.register_buffer("_mean", torch.tensor(self.image_mean)[:, None, None], False)
        self.register_buffer("_std", torch.tensor(self.image_std)[:, None, None], False)
        self.size_divisible = size_divisible
        self.fixed_size = tuple(fixed_size) if fixed_size is not None else None
        self.num_classes = num_classes

    def forward(
        self, images: list[Tensor], targets: list[dict[str, Tensor]] | None = None
    ) -> tuple[ImageBatch, list[dict[str, Tensor]] | None]:
        """Transform a list of images (and targets) into a padded batch.

        Args:
            images: ``Float[3, H_i, W_i]`` RGB images in ``[0, 1]``.
            targets: optional per-image dicts with ``boxes`` ``Float[N, 4]`` (xyxy pixels of the
                input image) and ``labels`` ``Int64[N]``; they are checked, then shallow-copied
                with boxes scaled to the resized image (the caller's dicts are not modified).

        Returns:
            The :class:`ImageBatch` and the resized targets (``None`` if none were given).

        Raises:
            ValueError: naming the image and box or label when a target is invalid, or the
                image or target entry that is not on the model's device.
            TypeError: when targets are not a list of dicts, or target boxes are not floating
                point or labels not int64.
        """
        check_devices(images, None if targets is None else target_list(targets), self._mean.device)
        if targets is not None:
            sizes = [(int(im.shape[-2]), int(im.shape[-1])) for im in images]
            check_targets(targets, len(images), self.num_classes, sizes)
            targets = [dict(t) for t in targets]
        resized = []
        for i, image in enumerate(images):
            new_image = self._resize_per_image(self.normalize(image))
            if targets is not None:
                targets[i]["boxes"] = resize_boxes(
                    targets[i]["boxes"], image.shape[-2:], new_image.shape[-2:]
                )
            resized.append(new_image)
        image_sizes = [(int(im.shape[-2]), int(im.shape[-1])) for im in resized]
        return ImageBatch(self.pad_batch(resized), image_sizes), targets

    def normalize(self, image: Tensor) -> Tensor:
        """``(image - mean) / std`` per channel; ``image`` is ``Float[3, H, W]`` in ``[0, 1]``.

        The result has the dtype of the model's buffers (float32 unless the model was cast), so
        that a float64 image (``torch.from_numpy(array / 255)``) meets float32 weights.
        """
        image = image.to(self._mean.dtype)
        mean = self._mean.to(device=image.device)
        std = self._std.to(device=image.device)
        return (image - mean) / std

    def _pick_min_size(self) -> int:
        """The target shorter side: random among ``min_size`` in training, the last in eval."""
        if not self.training:
            return self.min_size[-1]
        # drawn from torch's RNG so that seeded runs are reproducible
        index = int(torch.empty(1).uniform_(0.0, float(len(self.min_size))).item())
        return self.min_size[index]

    def _resize_per_image(self, image: Tensor) -> Tensor:
        """``Float[3, H, W]`` -> ``Float[3, h, w]`` resized (bilinear) as torchvision's R-CNN.

        An image so thin that the scale leaves it no row or column (2 x 300 px with
        ``max_size=128``; torchvision's transform fails there) keeps one.
        """
        if self.fixed_size is not None:
            if self.training:
                # the min_size draw of _pick_min_size, unused but made as torchvision's transform
                # makes it even with a fixed size: the RNG stream (hence the RPN and RoI
                # samplers' picks) stays the twin's. Not read: no host read.
                torch.empty(1).uniform_(0.0, float(len(self.min_size)))
            size, scale = list(self.fixed_size), None
        else:
            h, w = image.shape[-2:]
            min_size = self._pick_min_size()
            size, scale = None, min(min_size / min(h, w), self.max_size / max(h, w))
            if min(int(h * scale), int(w * scale)) < 1:  # a thin strip: keep one row (column)
                size, scale = [max(int(h * scale), 1), max(int(w * scale), 1)], None
        return F.interpolate(
            image[None],
            size=size,
            scale_factor=scale,
            mode="bilinear",
            recompute_scale_factor=True if scale is not None else None,
            align_corners=False,
        )[0]

    def pad_batch(self, images: list[Tensor]) -> Tensor:
        """Zero-pad ``Float[3, H_i, W_i]`` images at the bottom/right into ``Float[B, 3, Hp, Wp]``.

        ``Hp``/``Wp`` are the largest height/width rounded up to ``size_divisible``.
        """
        stride = float(self.size_divisible)
        max_h = int(math.ceil(max(im.shape[-2] for im in images) / stride) * stride)
        max_w = int(math.ceil(max(im.shape[-1] for im in images) / stride) * stride)
        batch = images[0].new_zeros((len(images), images[0].shape[0], max_h, max_w))
        for image, slot in zip(images, batch, strict=True):
            slot[:, : image.shape[-2], : image.shape[-1]].copy_(image)
        return batch

    def postprocess(
        self,
        detections: list[dict[str, Tensor]],
        image_sizes: list[tuple[int, int]],
        original_sizes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        """Map detection boxes from resized-image pixels back to each original image.

        Args:
            detections: per-image dicts with ``boxes`` ``Float[N, 4]`` xyxy in resized pixels.
            image_sizes: ``(h, w)`` of each resized image (before padding).
            original_sizes: ``(h, w)`` of each input image.

        Returns:
            The same dicts (new objects) with ``boxes`` in input-image pixels.
        """
        out = []
        for det, size, original in zip(detections, image_sizes, original_sizes, strict=True):
            out.append({**det, "boxes": resize_boxes(det["boxes"], size, original)})
        return out

    def extra_repr(self) -> str:
        return (
            f"min_size={self.min_size}, max_size={self.max_size}, fixed_size={self.fixed_size}, "
            f"mean={self.image_mean}, std={self.image_std}, size_divisible={self.size_divisible}"
        )


def clip_to_images(
    detections: list[dict[str, Tensor]], sizes: list[tuple[int, int]]
) -> list[dict[str, Tensor]]:
    """Clip each image's ``boxes`` (``Float[D, 4]`` xyxy px) to its ``(h, w)`` in ``sizes``, in
    place, and return ``detections``: :meth:`DetectionTransform.postprocess` maps boxes clipped
    to the resized image back with float32 ratios, which can overshoot the border by an ulp
    (``y2 = 200.00002`` on a 200-px-high image), breaking the ``0 <= x1 < x2 <= W`` contract
    of every detector's output. torchvision returns such boxes as they are."""
    for det, size in zip(detections, sizes, strict=True):
        det["boxes"] = clip_boxes_to_image(det["boxes"], size)
    return detections
