"""Detection samples checked against the sample contract where the loader fetches them.

A dataset of one's own (any ``torch.utils.data.Dataset`` passed to
:func:`~detseg.data.loader.build_loader` or :func:`~detseg.data.train_loader.build_train_loader`)
may return items that break the contract of ``docs/ARCHITECTURE.md``: an image as a numpy array,
a PIL image, ``[H, W, 3]`` or ``uint8`` (as read by an image library) or as ``0..255`` floats;
instance masks read from PNG files with values ``0/255``, 0-based labels, ``xywh`` boxes, one
box as ``[4]``, boxes without labels. Some of these make a model fail far from their cause (it
names the batch position, not the dataset item; on a GPU a label above ``K`` is a device-side
assert), others train without a word on wrong inputs (a ``0..255`` image is normalised as if it
were ``[0, 1]``; a ``0/255`` mask gives a mask loss of hundreds; a label ``0`` is trained as
background). The loaders of detseg detection batches therefore pass every sample through
:func:`check_sample` in the process that loads it (a loader worker: the check reads host memory
only and adds no GPU synchronisation), and a sample that breaks the contract is a
:class:`TargetError` of one line naming the dataset index, the image file where the dataset
tells it (``image_path``), the image or the target key, what was found and the fix::

    dataset item 3 (data/img3.png): target['masks'] values are 0..255; instance masks must be
    0/1: divide by 255 or compare > 0 (masks = (masks > 0).to(torch.uint8))

Such an item stops the run; it is not a bad sample to skip and count as an unreadable image
is. detseg's own readers never return one: they return ``Float[3, H, W]`` images in ``[0, 1]``
(:mod:`detseg.data.image_io`) and drop and count the bad boxes and unknown category ids of an
annotation file while they read it (:mod:`detseg.data.target_checks`), so a sample that reaches
the loader broken comes from a dataset's code, breaks every sample the same way (a mask read as
0/255, labels counted from 0, an image left as the library read it) and would, skipped, leave
nothing or a biased subset to train on. It is a ``ValueError``, which the command-line tools
print as one line, from a loader worker too. Nothing is converted: the fix belongs in the
dataset. Segmentation loaders (another ``collate_fn``) are not checked here.

What is checked:

* the image: a ``torch.Tensor`` (not a numpy array or PIL image), ``[3, H, W]`` RGB (not
  ``[H, W, 3]``, grayscale ``[H, W]`` or ``[1, H, W]``, ``[4, H, W]`` or a batch
  ``[1, 3, H, W]``: every detector takes 3 channels), floating point (not ``uint8``), and, read
  from CPU tensors, finite values, a max of at most :data:`IMAGE_MAX` (``0..255`` values as
  floats are refused) and a min of at least :data:`IMAGE_MIN` (an ImageNet-normalised image is
  refused: the model normalises itself); the ``[0, 1]`` scale is not held to the last digit:
  resampling with cubic or Lanczos interpolation, as a pipeline's ``Affine`` or ``Resize`` may
  do, rings to about ``-0.14`` and ``1.3``;

and of the entries a target dict has (``N = 0`` is valid; a target without ``boxes`` and
``labels``, e.g. of images to predict on, passes; one of the two without the other does not:
training and evaluation ground truth read both):

* ``boxes``: a floating-point tensor ``[N, 4]``, finite, ``xyxy`` absolute pixels with
  ``x1 < x2`` and ``y1 < y2``;
* ``labels``: an ``int64`` tensor ``[N]`` in ``1..K`` (``K`` the ``num_classes`` given to the
  loader, e.g. the model's by the training engine; else the dataset's ``num_classes`` or
  ``classes`` where it has them; otherwise only ``>= 1``);
* ``masks`` (optional, read for ``N > 0``): a tensor ``[N, H, W]`` of the image's ``H, W`` with
  values in ``[0, 1]`` (a max over a ``uint8`` mask).

Values are read from CPU tensors only (a dataset that returns tensors on a GPU gets the layout
checks: reading them would wait for the device); the image's values with numpy's ``max`` and
``min``.
Which boxes and labels are broken is decided by :mod:`detseg.target_values`, as for the model's
own check (:func:`detseg.detection.validation.check_targets`).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from detseg.argument_checks import check_at_least_one
from detseg.target_values import (
    boxes_are_n_by_4,
    boxes_have_float_dtype,
    degenerate_boxes,
    labels_above_k,
    labels_below_1,
    labels_have_int64_dtype,
    labels_match_boxes,
    nonfinite_boxes,
)

__all__ = [
    "IMAGE_MAX",
    "IMAGE_MIN",
    "CheckedItems",
    "TargetError",
    "check_sample",
    "dataset_num_classes",
    "labels_limit",
]

#: The largest image value the loaders' check lets through (:func:`check_sample`). Images are
#: ``[0, 1]``, but a legitimate one may exceed 1 a little: albumentations clips its colour
#: transforms to ``[0, 1]`` but not its cubic or Lanczos resampling (``Affine``, ``Resize``,
#: ``RandomScale`` with ``interpolation: 2`` or ``4`` ring to about 1.27 at a black-white edge),
#: nor does a ``torchvision`` bicubic resize in a dataset's own code (about 1.15). An
#: ImageNet-normalised image (the model normalises itself) reaches about 2.64, for which the fix
#: "divide by 255" would be wrong. ``image.float()`` of a ``uint8`` picture reaches its brightest
#: pixel value: above 3 in every picture but a nearly black one (all pixels <= 3 / 255).
IMAGE_MAX = 3.0
#: The smallest image value the loaders' check lets through. Resampling rings below 0 as it
#: rings above 1 (to about -0.14); an image normalised with the ImageNet mean and std, which the
#: model applies itself (``image_mean`` / ``image_std``), goes down to about -2.1 wherever a
#: pixel is darker than about 0.37 of full scale: nearly every picture.
IMAGE_MIN = -0.5

#: How far below 0, as a share of its maximum, resampling may take an image of pixel values
#: (bicubic ringing at edges): an image above :data:`IMAGE_MAX` whose minimum stays within it
#: is told to divide by 255, not to drop a normalisation.
PIXEL_DIP = 0.2


class TargetError(ValueError):
    """A dataset's item (its image or target) breaks the detection sample contract (one line:
    index, image or key, fix)."""


def dataset_num_classes(dataset: Any) -> int | None:
    """``K`` of ``dataset``: its ``num_classes``, else ``len(classes)``; ``None`` when unknown."""
    for read in (lambda: dataset.num_classes, lambda: len(dataset.classes)):
        try:
            value = read()
        except Exception:  # noqa: BLE001  (a dataset of one's own may have neither)
            continue
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def labels_limit(dataset: Any, num_classes: int | None = None) -> tuple[int | None, str]:
    """``K`` that a loader's checks hold the labels of ``dataset`` to, and what it is (named in
    the error line): ``num_classes`` where the loader is given it (the model's number of
    foreground classes; the training engine gives it), else :func:`dataset_num_classes`.

    Raises:
        ValueError: ``num_classes`` is given but is no integer ``>= 1``.
    """
    if num_classes is not None:
        check_at_least_one(num_classes, "num_classes")
        return num_classes, "the model's classes"
    return dataset_num_classes(dataset), "the dataset's classes"


def check_sample(
    sample: Any,
    index: int,
    dataset: Any,
    num_classes: int | None = None,
    classes_of: str = "the dataset's classes",
) -> None:
    """Check one detection sample ``(image Float[3, H, W], target)`` (``None`` passes).

    Args:
        sample: What ``dataset[index]`` returned.
        index: The dataset index, named in the error.
        dataset: The dataset (its ``image_path(index)``, where it has one, is named too).
        num_classes: ``K``: labels must be ``1..K``; ``None`` checks ``>= 1`` only.
        classes_of: Where ``K`` comes from, named with a label above it (:func:`labels_limit`).

    Raises:
        TargetError: one line naming the index, the image or the key, what was found and the
            fix.
    """
    if sample is None:
        return
    try:
        _check(sample, num_classes, classes_of)
    except TargetError as error:  # named here: the file is read only for a broken target
        raise TargetError(f"{_where(index, dataset)}: {error}") from None


def _check(sample: Any, num_classes: int | None, classes_of: str) -> None:
    """:func:`check_sample` without the item's name (the messages start with the image or the
    key)."""
    if not isinstance(sample, (tuple, list)) or len(sample) != 2:
        raise TargetError(
            f"a detection dataset returns (image, target) or None, got {type(sample).__name__}"
        )
    image, target = sample
    _check_image(image)  # a detector's input whatever the target
    if not isinstance(target, dict):  # not a detection target: the model's own checks name it
        return
    if ("boxes" in target) != ("labels" in target):
        _check_pairing(target)
    if "boxes" in target:
        boxes = _tensor(target, "boxes", "torch.as_tensor(boxes, dtype=torch.float32)")
        _check_boxes(boxes)
    if "labels" in target:
        labels = _tensor(target, "labels", "torch.as_tensor(labels, dtype=torch.int64)")
        num = target["boxes"].shape[0] if "boxes" in target else labels.shape[0]
        _check_labels(labels, num, num_classes, classes_of)
    if "masks" in target and "boxes" in target and target["boxes"].shape[0] > 0:
        size = tuple(image.shape[-2:]) if isinstance(image, Tensor) and image.dim() == 3 else None
        masks = _tensor(target, "masks", "torch.as_tensor(masks, dtype=torch.uint8)")
        _check_masks(masks, target["boxes"].shape[0], size)


def _check_image(image: Any) -> None:
    """A ``Float[3, H, W]`` tensor whose values (read on the CPU) are finite, at least
    :data:`IMAGE_MIN` and at most :data:`IMAGE_MAX`.

    The minimum is checked first: pixel values (``0..255``) are never negative, while a
    normalised image can also exceed the maximum (standardised per image, or mean-subtracted
    ``0..255`` values), and for it "divide by 255" would be the wrong fix."""
    if not isinstance(image, Tensor):
        raise TargetError(_not_a_tensor(image))
    shape = tuple(image.shape)
    if image.dim() != 3 or shape[0] != 3:
        raise TargetError(f"image has shape {shape}; images are [3, H, W] RGB{_layout_fix(shape)}")
    if not image.is_floating_point():
        scale = "255" if image.dtype == torch.uint8 else "255 (8-bit values) or 65535 (16-bit)"
        raise TargetError(
            f"image has dtype {image.dtype}; images are floating point in [0, 1]: "
            f"image.float() / {scale}"
        )
    if image.device.type != "cpu" or image.numel() == 0:  # reading would wait for the device
        return
    values = image.detach()
    # numpy's reductions: single-threaded, as for the masks; half precision as float32 (numpy
    # has no bfloat16, and reduces float16 about 10x slower than float32)
    half = values.dtype in (torch.bfloat16, torch.float16)
    array = values.float().numpy() if half else values.numpy()
    high, low = array.max().item(), array.min().item()
    if not (math.isfinite(high) and math.isfinite(low)):
        bad = high if not math.isfinite(high) else low
        raise TargetError(
            f"image holds {_number(bad)}; images are finite values in [0, 1]: find where the "
            "dataset divides by zero or reads an undefined value"
        )
    # pixel values dip a little below 0 after resampling (bicubic ringing), while a normalised
    # image goes as far below 0 as above: the two ends together tell them apart
    pixel_values = high > IMAGE_MAX and low >= -PIXEL_DIP * high
    if low < IMAGE_MIN and not pixel_values:
        raise TargetError(
            f"image values go down to {_number(low)}; images are in [0, 1], not normalised: "
            "the model subtracts image_mean and divides by image_std itself, so drop the "
            "dataset's Normalize (mean/std) step"
        )
    if high > IMAGE_MAX:
        fix = (
            "divide by 255 (image.float() / 255 of a uint8 picture)"
            if high <= 255 * (1 + PIXEL_DIP)  # 8-bit values, overshoot of resampling included
            else "divide by 65535 (16-bit pixel values)"
        )
        raise TargetError(
            f"image values reach {_number(high)}; images are in [0, 1], not pixel values: {fix}"
        )


def _not_a_tensor(image: Any) -> str:
    """What an image that is no tensor is, and the conversion to ``Float[3, H, W]``."""
    kind = type(image)
    if kind.__module__.startswith("PIL."):  # no import of PIL for the check
        return (
            f"image is a PIL {kind.__name__} (mode {getattr(image, 'mode', '?')}), not a "
            "torch.Tensor; images are Float[3, H, W] RGB in [0, 1]: "
            "torchvision.transforms.functional.to_tensor(image.convert('RGB'))"
        )
    if kind.__module__ == "numpy":
        found = f"a numpy array of shape {tuple(image.shape)} and dtype {image.dtype}"
        return (
            f"image is {found}, not a torch.Tensor; images are Float[3, H, W] RGB in [0, 1]: "
            "torchvision.transforms.functional.to_tensor(image) (uint8 [H, W, 3] to "
            "[3, H, W] / 255)"
        )
    return (
        f"image is a {kind.__name__}, not a torch.Tensor; a detection dataset returns "
        "(image Float[3, H, W] RGB in [0, 1], target)"
    )


def _layout_fix(shape: tuple[int, ...]) -> str:
    """The fix of an image tensor that is not ``[3, H, W]`` (``": ..."``, or ``""``)."""
    if len(shape) == 2:
        return ": a grayscale [H, W] image is image.expand(3, -1, -1) (or read the file as RGB)"
    if len(shape) == 4 and shape[0] == 1:
        return ": a dataset item is one image, not a batch: image[0]"
    if len(shape) != 3:
        return ""
    if shape[-1] == 3:
        return ": channels last [H, W, 3] is image.permute(2, 0, 1)"
    if shape[0] == 1:
        return ": a grayscale [1, H, W] image is image.expand(3, -1, -1) (or read the file as RGB)"
    if shape[-1] == 1:
        return ": a grayscale [H, W, 1] image is image.permute(2, 0, 1).expand(3, -1, -1)"
    if shape[0] == 4:
        return ": an RGBA [4, H, W] image without its alpha channel is image[:3]"
    if shape[-1] == 4:
        return (
            ": an RGBA [H, W, 4] image without its alpha channel is image[..., :3].permute(2, 0, 1)"
        )
    return ""


def _check_pairing(target: dict[str, Any]) -> None:
    """Refuse ``boxes`` without ``labels`` and ``labels`` without ``boxes``."""
    if "boxes" in target:
        raise TargetError(
            "target has 'boxes' but no 'labels'; a detection target gives both, labels an "
            "int64 tensor [N] of class numbers 1..K, one per box (an image to predict on has "
            "neither)"
        )
    raise TargetError(
        "target has 'labels' but no 'boxes'; a detection target gives both, boxes a float32 "
        "tensor [N, 4] of xyxy pixels, one per label (an image to predict on has neither)"
    )


def _where(index: int, dataset: Any) -> str:
    """``dataset item <index>``, with the image file where the dataset tells it."""
    image_path = getattr(dataset, "image_path", None)
    if callable(image_path):
        try:
            return f"dataset item {index} ({image_path(index)})"
        except Exception:  # noqa: BLE001  (the file is a courtesy: the index is enough)
            pass
    return f"dataset item {index}"


def _tensor(target: dict[str, Any], key: str, fix: str) -> Tensor:
    value = target[key]
    if not isinstance(value, Tensor):
        raise TargetError(
            f"target['{key}'] is a {type(value).__name__}, not a torch.Tensor; "
            f"convert it with {fix}"
        )
    return value


def _check_boxes(boxes: Tensor) -> None:
    """``Float[N, 4]``, finite, ``x1 < x2`` and ``y1 < y2``."""
    if not boxes_have_float_dtype(boxes):
        raise TargetError(
            f"target['boxes'] has dtype {boxes.dtype}; boxes must be floating point (boxes.float())"
        )
    if not boxes_are_n_by_4(boxes):
        fix = "one box is boxes[None], no box torch.zeros((0, 4))"
        if boxes.dim() != 1 or boxes.shape[0] != 4:
            fix = "one row x1, y1, x2, y2 per object; no box is torch.zeros((0, 4))"
        raise TargetError(
            f"target['boxes'] has shape {tuple(boxes.shape)}; boxes must be [N, 4] ({fix})"
        )
    if boxes.device.type != "cpu":  # reading values would wait for the device
        return
    nonfinite = nonfinite_boxes(boxes)
    if bool(nonfinite.any()):
        j = int(nonfinite.nonzero()[0])
        raise TargetError(
            f"target['boxes'] row {j} {boxes[j].tolist()} is not finite; drop or fix "
            "that object in the dataset"
        )
    bad = degenerate_boxes(boxes)
    if bool(bad.any()):
        j = int(bad.nonzero()[0])
        raise TargetError(
            f"target['boxes'] row {j} {boxes[j].tolist()} has x2 <= x1 or y2 <= y1; "
            "boxes must be xyxy absolute pixels (xywh boxes: "
            "torchvision.ops.box_convert(boxes, 'xywh', 'xyxy')); drop empty boxes"
        )


def _check_labels(labels: Tensor, num_boxes: int, num_classes: int | None, classes_of: str) -> None:
    """``Int64[N]`` in ``1..K``."""
    if not labels_have_int64_dtype(labels):
        raise TargetError(
            f"target['labels'] has dtype {labels.dtype}; labels must be int64 class "
            "numbers 1..K (labels.long())"
        )
    if not labels_match_boxes(labels, num_boxes):
        raise TargetError(
            f"target['labels'] has shape {tuple(labels.shape)}; labels must be [N] "
            f"with N = {num_boxes}, one per box"
        )
    if num_boxes == 0 or labels.device.type != "cpu":
        return
    if bool(labels_below_1(labels).any()):
        raise TargetError(
            f"target['labels'] holds {int(labels.min())}; labels are 1..K for K foreground "
            "classes, 0 is background (0-based class numbers: add 1)"
        )
    if num_classes is not None and bool(labels_above_k(labels, num_classes).any()):
        high = int(labels.max())
        raise TargetError(
            f"target['labels'] holds {high}, above K = {num_classes} ({classes_of}); "
            f"labels are 1..{num_classes}"
        )


def _check_masks(masks: Tensor, num_boxes: int, size: tuple[int, ...] | None) -> None:
    """``[N, H, W]`` of the image's size, values in ``[0, 1]``."""
    expected = (
        f"[{num_boxes}, {size[0]}, {size[1]}]" if size is not None else f"[{num_boxes}, H, W]"
    )
    if (
        masks.dim() != 3
        or masks.shape[0] != num_boxes
        or (size is not None and tuple(masks.shape[1:]) != size)
    ):
        raise TargetError(
            f"target['masks'] has shape {tuple(masks.shape)}; instance masks must be "
            f"{expected}: one per box, of the image's height and width"
        )
    if masks.dtype == torch.bool or masks.numel() == 0 or masks.device.type != "cpu":
        return
    # numpy's reductions: one pass, single-threaded (torch's max over 5 MB of uint8 costs more
    # in a process whose threads share the cores with the loader workers)
    values = masks.detach().numpy()
    low = 0 if masks.dtype == torch.uint8 else values.min().item()
    high = values.max().item()
    if not (0 <= low and high <= 1):  # also false for NaN
        raise TargetError(
            f"target['masks'] values are {_number(low)}..{_number(high)}; instance "
            "masks must be 0/1: divide by 255 or compare > 0 "
            "(masks = (masks > 0).to(torch.uint8))"
        )


def _number(value: float | int) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class CheckedItems(Dataset):
    """``dataset[i]`` passed through :func:`check_sample` (the loaders' view of a dataset).

    Other attributes (``classes``, ``augmentations``, ``image_ids``, ...) are the dataset's.

    Args:
        dataset: A detection dataset (items ``(image, target)`` or ``None``).
        num_classes: ``K`` of the labels; ``None``: the dataset's (:func:`labels_limit`).
    """

    def __init__(self, dataset: Dataset, num_classes: int | None = None) -> None:
        self.dataset = dataset
        self._labels_up_to, self._classes_of = labels_limit(dataset, num_classes)

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> Any:
        sample = self.dataset[index]
        check_sample(sample, index, self.dataset, self._labels_up_to, self._classes_of)
        return sample

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "dataset":  # unpickling: no dataset yet
            raise AttributeError(name)
        return getattr(self.dataset, name)
