"""Input checks for detectors: images and targets are validated where they enter a model.

Every error is a ``ValueError`` (or ``TypeError`` for a wrong dtype) that names the image index
and, for boxes, the offending box, so that a bad sample can be found in the dataset.

Shapes and dtypes are always checked (host metadata). The box and label *values* are checked
where the targets are host tensors; on a GPU that read would stop every training step to wait
for the device, so targets already on a GPU are checked where they were made: detseg's dataset
readers drop and count bad boxes (:mod:`detseg.data.target_checks`) and map category ids to
labels ``1..K`` before a batch leaves the loader, and a hand-written loop can call
:func:`check_targets` on its CPU batch.

Which boxes and labels are broken is decided by :mod:`detseg.target_values`, as for the loader's
check of a dataset's items (:mod:`detseg.data.sample_checks`); the messages are this module's.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from detseg.ops.padding import host_reads_are_free
from detseg.target_values import (
    boxes_are_n_by_4,
    boxes_have_float_dtype,
    boxes_outside_image,
    degenerate_boxes,
    labels_have_int64_dtype,
    labels_match_boxes,
    labels_outside_1_to_k,
    nonfinite_boxes,
)


def images_to_list(images: list[Tensor] | Tensor) -> list[Tensor]:
    """Normalise the accepted image inputs to a list of ``[3, H, W]`` float tensors.

    Args:
        images: a list of ``Float[3, H, W]`` tensors (sizes may differ) or one
            ``Float[B, 3, H, W]`` tensor. Values are expected in ``[0, 1]``, RGB.

    Returns:
        list of ``Float[3, H, W]`` tensors (views, not copies).

    Raises:
        ValueError: if an image is not 3-D with 3 channels or has a side of 0 pixels, a
            batched tensor is not 4-D, or the list is empty.
        TypeError: if an image is not a floating point tensor.
    """
    if isinstance(images, Tensor):
        if images.dim() != 4:
            raise ValueError(
                f"a batched image tensor must be [B, 3, H, W], got shape {tuple(images.shape)}; "
                "pass a list of [3, H, W] tensors for images of different sizes"
            )
        images = list(images.unbind(0))
    if len(images) == 0:
        raise ValueError("images is empty: pass at least one [3, H, W] tensor")
    for i, image in enumerate(images):
        if not isinstance(image, Tensor) or image.dim() != 3 or image.shape[0] != 3:
            shape = tuple(image.shape) if isinstance(image, Tensor) else type(image).__name__
            raise ValueError(f"image {i} must be a [3, H, W] tensor, got {shape}")
        if image.shape[1] == 0 or image.shape[2] == 0:
            raise ValueError(
                f"image {i} has no pixels (shape {tuple(image.shape)}); drop it from the batch"
            )
        if not image.is_floating_point():
            raise TypeError(
                f"image {i} has dtype {image.dtype}; convert it to float32 in [0, 1] "
                "(e.g. image.float() / 255)"
            )
    return list(images)


def check_targets(
    targets: list[dict[str, Tensor]],
    num_images: int,
    num_classes: int | None = None,
    image_sizes: list[tuple[int, int]] | None = None,
) -> None:
    """Check detection targets (``N = 0`` boxes is a valid negative image).

    The values (finite, non-degenerate boxes, overlapping their image; labels in range) are
    checked for targets on the CPU; targets on a GPU get the layout checks only (see the module
    docstring).

    Args:
        targets: one dict per image with ``boxes`` ``Float[N, 4]`` (xyxy, absolute pixels)
            and ``labels`` ``Int64[N]`` in ``1..num_classes``.
        num_images: number of images the targets must match.
        num_classes: number of foreground classes; ``None`` checks labels ``>= 1`` only.
        image_sizes: ``(H, W)`` of each image: a box lying wholly outside its image is refused
            (``None``: not checked).

    Raises:
        ValueError: naming the image index and the bad box / label.
        TypeError: when boxes or labels are not tensors, boxes are not floating point or
            labels not int64.
    """
    target_list(targets)
    if len(targets) != num_images:
        raise ValueError(f"got {len(targets)} targets for {num_images} images; pass one per image")
    for i, target in enumerate(targets):
        for key in ("boxes", "labels"):
            if key not in target:
                raise ValueError(f"target of image {i} has no '{key}' entry (keys: {list(target)})")
        _check_layout(i, target["boxes"], target["labels"])
    if not targets or not host_reads_are_free(targets[0]["boxes"].device):
        return
    # the values: one test for the whole batch, and the image-by-image checks only to name
    # the first bad box or label
    sizes = image_sizes if image_sizes is not None else [None] * len(targets)
    flags = [
        _has_bad_values(t["boxes"], t["labels"], num_classes, size)
        for t, size in zip(targets, sizes, strict=True)
    ]
    if flags and bool(torch.stack(flags).any()):
        for i, (target, size) in enumerate(zip(targets, sizes, strict=True)):
            _check_boxes_per_image(i, target["boxes"], size)
            _check_labels_per_image(i, target["labels"], num_classes)


def target_list(targets: object) -> list[dict[str, Tensor]]:
    """Return ``targets`` when it is a list (or tuple) of one dict per image.

    Raises:
        TypeError: for ``None``, a single dict (a batch of one needs ``[target]``) or a list
            whose items are not dicts, naming the first such item.
    """
    if not isinstance(targets, (list, tuple)):
        hint = "; wrap one image's dict in a list: [target]" if isinstance(targets, Mapping) else ""
        raise TypeError(
            "targets must be a list of dicts, one per image, with boxes Float[N, 4] (xyxy "
            f"pixels) and labels Int64[N]; got {type(targets).__name__}{hint}"
        )
    for i, target in enumerate(targets):
        if not isinstance(target, Mapping):
            raise TypeError(
                f"target of image {i} must be a dict with 'boxes' and 'labels', "
                f"got {type(target).__name__}"
            )
    return list(targets)


def check_devices(
    images: list[Tensor], targets: list[dict[str, Tensor]] | None, device: torch.device
) -> None:
    """Raise ``ValueError`` naming the first image, or target ``boxes`` / ``labels`` /
    ``masks`` (the entries a detector reads), that is not on ``device``, the model's device;
    ``images`` are ``[3, H, W]`` tensors, ``targets`` dicts checked by :func:`check_targets`."""
    where = f"the model is on {device}: move the inputs with .to({str(device)!r})"
    for i, image in enumerate(images):
        if image.device != device:
            raise ValueError(f"image {i} is on {image.device} but {where}")
    for i, target in enumerate(targets or ()):
        for key in ("boxes", "labels", "masks"):
            value = target.get(key)
            if isinstance(value, Tensor) and value.device != device:
                raise ValueError(f"target of image {i}: '{key}' is on {value.device} but {where}")


def _check_layout(index: int, boxes: Tensor, labels: Tensor) -> None:
    """Types, dtypes and shapes (host metadata only)."""
    for key, value in (("boxes", boxes), ("labels", labels)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"image {index}: '{key}' must be a torch.Tensor, got {type(value).__name__}; "
                "convert it with torch.as_tensor (boxes float32 [N, 4], labels int64 [N])"
            )
    if not boxes_have_float_dtype(boxes):
        raise TypeError(f"image {index}: boxes must be floating point, got {boxes.dtype}")
    if not boxes_are_n_by_4(boxes):
        raise ValueError(f"image {index}: boxes must be [N, 4] xyxy, got {tuple(boxes.shape)}")
    if not labels_have_int64_dtype(labels):
        raise TypeError(f"image {index}: labels must be int64, got {labels.dtype}")
    if not labels_match_boxes(labels, boxes.shape[0]):
        raise ValueError(
            f"image {index}: labels must be [N] with N={boxes.shape[0]} (one per box), "
            f"got {tuple(labels.shape)}"
        )


def _has_bad_values(
    boxes: Tensor, labels: Tensor, num_classes: int | None, image_size: tuple[int, int] | None
) -> Tensor:
    """Bool scalar tensor on ``boxes``' device (nothing read on the host): a non-finite or
    degenerate box (``Float[N, 4]`` xyxy), one wholly outside its ``image_size`` (when given),
    or a label (``Int64[N]``) outside ``1..num_classes`` (below 1 when ``num_classes`` is
    ``None``)."""
    bad_box = nonfinite_boxes(boxes) | degenerate_boxes(boxes)
    if image_size is not None:
        bad_box = bad_box | boxes_outside_image(boxes, image_size)
    bad_label = labels_outside_1_to_k(labels, num_classes)
    return bad_box.any() | bad_label.any().to(bad_box.device)


def _check_boxes_per_image(index: int, boxes: Tensor, image_size: tuple[int, int] | None) -> None:
    """Raise for image ``index``'s first non-finite or degenerate box (``Float[N, 4]`` xyxy,
    its layout checked by :func:`_check_layout`), or its first box wholly outside its
    ``(H, W)`` ``image_size`` (when given)."""
    nonfinite = nonfinite_boxes(boxes)
    bad = torch.where(nonfinite | degenerate_boxes(boxes))[0]
    if bad.numel() > 0:
        j = int(bad[0])
        why = "is not finite" if bool(nonfinite[j]) else "has x2 <= x1 or y2 <= y1"
        raise ValueError(
            f"image {index}: box {j} {boxes[j].tolist()} {why}; boxes must be xyxy "
            "absolute pixels with x1 < x2 and y1 < y2 (drop or fix it in the dataset)"
        )
    if image_size is None:
        return
    outside = torch.where(boxes_outside_image(boxes, image_size))[0]
    if outside.numel() > 0:
        j = int(outside[0])
        height, width = image_size
        raise ValueError(
            f"image {index}: box {j} {boxes[j].tolist()} lies outside the {width}x{height} "
            "image (xyxy pixels of the input image); clip it to the image or drop it in the "
            "dataset"
        )


def _check_labels_per_image(index: int, labels: Tensor, num_classes: int | None) -> None:
    """Raise for image ``index``'s first label (``Int64[N]``, its layout checked by
    :func:`_check_layout`) outside ``1..num_classes``."""
    bad = torch.where(labels_outside_1_to_k(labels, num_classes))[0]
    if bad.numel() > 0:
        j = int(bad[0])
        allowed = f"outside 1..{num_classes}" if num_classes is not None else "below 1"
        raise ValueError(
            f"image {index}: label {int(labels[j])} of box {j} is {allowed}; "
            "labels are 1..K for K foreground classes (0 is background)"
        )
