"""The images an exported file is checked on: :func:`check_images`.

A trained detector detects nothing on random noise, so a check on noise compares no detection
and shows nothing about boxes and scores. The check therefore runs on real images where they
are at hand, in this order:

1. the images given (``paths``: files, folders, glob patterns, as ``tools/infer.py`` takes
   them: :func:`~detseg.image_inputs.expand_inputs`), read as displayed (EXIF orientation
   applied, as prediction reads them);
2. the first images of the val split of the checkpoint's config (its ``data`` section, read
   through :func:`~detseg.data.registry.build_dataset` as training and ``tools/eval.py`` read
   it: a relative ``data.root`` is read from the working folder, else from the folder the
   checkpoint was trained from, :mod:`~detseg.engine.checkpointing.launch_folder`; an absolute
   one from itself);
3. generated random noise where neither is at hand; the description says why
   (no checkpoint config, or the error that reading the val split gave; a relative root that
   is no folder names the working folder, and the folder the checkpoint was trained from where
   the checkpoint records one: ``launch_folder`` of ``ExportResult.data``).

Every check input has the size the check needs (:func:`check_sizes`: the export size of a
static export; the export size, two around it and half of it for a dynamic one): a real image
is resized to it (bilinear, antialiased), and feeds the file and the model alike as raw
``[0, 1]`` RGB pixels, which the exported graph normalises and resizes itself. The images are
assigned to the inputs in turn, repeated when there are fewer images than inputs.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from detseg.data.image_io import ImageReadError, read_image
from detseg.data.registry import build_dataset, with_known_classes
from detseg.engine.checkpointing.launch_folder import LAUNCH_FOLDER_KEY
from detseg.export.export_result import ExportResult
from detseg.export.wrappers import ExportError
from detseg.image_inputs import expand_inputs, is_blank
from detseg.prediction_inputs import missing_input_message

#: How the generated inputs are named in the report.
NOISE = "random-noise check images"


@dataclass(frozen=True)
class CheckImages:
    """The inputs of one check and where they come from.

    Attributes:
        batches: ``Float[B, 3, H, W]`` inputs in ``[0, 1]``, one per comparison.
        name: what the images are, in the plural (``random-noise check images``,
            ``val-split images``, ``given images``), for the report's warning.
        source: one line for the report: which images, from where (and, for noise, why).
    """

    batches: list[Tensor]
    name: str
    source: str


def check_batches(dynamic: bool, batch_size: int, task: str) -> list[int]:
    """The batch size of each check input (:func:`check_sizes`): three of ``batch_size`` for
    a static export; four of one for a dynamic one, the second a batch of two for a
    segmenter (``task``). Their sum is the number of images a check reads."""
    if not dynamic:
        return [batch_size] * 3
    return [1, 2 if task == "segmentation" else 1, 1, 1]


def check_sizes(result: ExportResult) -> list[tuple[int, int, int]]:
    """``(B, H, W)`` of each check input: three of the export size (and batch) for a static
    export; for a dynamic one the export size, two sizes around it (the first of them a batch
    of two for a segmenter) and half the export size (a detector that resizes to its
    ``min_size`` upsamples it, which the other sizes do not test)."""
    height, width = result.input_size
    batches = check_batches(result.dynamic, result.batch_size, result.task)
    if not result.dynamic:
        return [(batch, height, width) for batch in batches]
    sizes = [
        (height, width),
        (height * 3 // 4 + 1, width),
        (height, width * 5 // 4 + 3),
        ((height + 1) // 2, (width + 1) // 2),
    ]
    return [(batch, h, w) for batch, (h, w) in zip(batches, sizes, strict=True)]


def noise_images(result: ExportResult, seed: int = 0) -> list[Tensor]:
    """Uniform noise of the sizes of :func:`check_sizes`, the same at every call."""
    generator = torch.Generator().manual_seed(seed)
    return [torch.rand(b, 3, h, w, generator=generator) for b, h, w in check_sizes(result)]


def images_needed(result: ExportResult) -> int:
    """How many different images the check inputs hold (one per image of each batch)."""
    return sum(b for b, _, _ in check_sizes(result))


def check_images(result: ExportResult, paths: Sequence[str | Path] | None = None) -> CheckImages:
    """The inputs of the check of ``result`` (see the module docstring for the order).

    Args:
        result: the export checked (its ``data``: the checkpoint config's data section, and
            the checkpoint's ``launch_folder`` where it records one).
        paths: image files, folders or glob patterns (``None``: the val split, else noise).

    Raises:
        ExportError: a name in ``paths`` that gives no image, or an image that cannot be read:
            one line naming it.
    """
    if paths is not None:
        return _given_images(result, [str(p) for p in paths])
    if result.data is None:
        reason = "the model comes without a checkpoint config naming a val split"
        return _noise(result, reason)
    data = dict(result.data)
    launch_folder = data.pop(LAUNCH_FOLDER_KEY, None)  # recorded by the checkpoint, or none
    root = data.get("root")
    if not root or not Path(root).is_dir():  # the reader's advice (--set data.root) is training's
        reason = (
            f"the val split of the checkpoint's config cannot be read: its data.root "
            f"{str(root)!r} is not a folder here{_relative_root_words(root, launch_folder)}"
        )
        return _noise(result, reason)
    try:
        images, where = _val_split_images(result, data)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:  # a reader's
        reason = (str(error).strip() or type(error).__name__).splitlines()[0]
        return _noise(result, f"the val split of the checkpoint's config cannot be read: {reason}")
    if not images:
        return _noise(result, f"the val split of the checkpoint's config ({where}) has no image")
    names = ", ".join(path.name for path, _ in images)
    source = (
        f"checked on {len(images)} val-split image{'s' if len(images) > 1 else ''} of the "
        f"checkpoint's config ({where}: {names}), resized to the check sizes"
    )
    return CheckImages(_fit(result, [image for _, image in images]), "val-split images", source)


def _relative_root_words(root: object, launch_folder: object) -> str:
    """Where a relative ``root`` is read from (the working folder, else the folder the
    checkpoint was trained from where it records one), in parentheses; empty for an absolute
    root, which is read from nowhere else."""
    if root and Path(str(root)).expanduser().is_absolute():
        return ""
    trained_from = (
        f", else from the folder the checkpoint was trained from, {launch_folder}"
        if launch_folder
        else ""
    )
    return f" (a relative root is read from the working folder, {Path.cwd()}{trained_from})"


def _missing_image_message(item: str) -> str:
    """Why the check image name ``item`` gave no image: prediction's words
    (:func:`~detseg.prediction_inputs.missing_input_message`), less its camera indexes and
    stream URLs, which the check's images never are."""
    if not is_blank(item) and not glob.has_magic(item) and not Path(item).expanduser().exists():
        return f"input not found: {item} (no such file or folder); check the path"
    return missing_input_message(item)


def _noise(result: ExportResult, reason: str) -> CheckImages:
    """Generated inputs, with the line that says why."""
    source = f"checked on {len(check_sizes(result))} {NOISE} ({reason})"
    return CheckImages(noise_images(result), NOISE, source)


def given_images_problem(names: Sequence[str], most: int) -> str | None:
    """Why the images that ``names`` names (files, folders, glob patterns) cannot be the
    check's, or ``None``: a name that matches nothing, or one of the first ``most`` files (as
    many as a check may use) that cannot be decoded. Asked before an export, so that a bad
    image stops the command before any file is written."""
    paths, missing = expand_inputs(list(names))
    if missing:
        return _missing_image_message(missing[0])
    for path in paths[:most]:
        try:
            read_image(path, apply_exif_orientation=True)
        except ImageReadError as error:
            return f"{error}; give readable images"
    return None


def _given_images(result: ExportResult, names: list[str]) -> CheckImages:
    """The images ``names`` names, read as displayed; the first :func:`images_needed`."""
    paths, missing = expand_inputs(names)
    if missing:
        raise ExportError(f"check images: {_missing_image_message(missing[0])}")
    needed = images_needed(result)
    images = []
    for path in paths[:needed]:
        try:
            images.append(read_image(path, apply_exif_orientation=True))
        except ImageReadError as error:
            raise ExportError(f"check images: {error}; give readable images") from error
    used = f"the first {len(images)} of {len(paths)}" if len(paths) > needed else len(images)
    shown = ", ".join(str(path) for path in paths[:needed])
    source = f"checked on {used} given image{'s' if len(paths) > 1 else ''} ({shown}), resized"
    return CheckImages(_fit(result, images), "given images", source + " to the check sizes")


def _val_split_images(
    result: ExportResult, data: dict[str, Any]
) -> tuple[list[tuple[Path, Tensor]], str]:
    """The first :func:`images_needed` readable images of the val split of ``data`` (the
    checkpoint config's data section; read as its dataset reads them), and where they lie."""
    dataset = build_dataset(with_known_classes(data, list(result.classes)), "val")
    where = str(data.get("root"))
    images: list[tuple[Path, Tensor]] = []
    for index in range(len(dataset)):
        if len(images) == images_needed(result):
            break
        pixels = dataset.read_image(index)  # None: unreadable, warned by the dataset
        if pixels is not None:
            path = dataset.image_path(index)
            images.append((path, torch.from_numpy(pixels).permute(2, 0, 1).contiguous()))
    if images:
        where = str(images[0][0].parent)
    return images, where


def _fit(result: ExportResult, images: list[Tensor]) -> list[Tensor]:
    """The check inputs (:func:`check_sizes`) made of ``images`` (``Float[3, H, W]``), taken
    in turn and resized to each input's size."""
    batches, turn = [], 0
    for batch, height, width in check_sizes(result):
        picked = []
        for _ in range(batch):
            picked.append(_resized(images[turn % len(images)], height, width))
            turn += 1
        batches.append(torch.stack(picked))
    return batches


def _resized(image: Tensor, height: int, width: int) -> Tensor:
    """``image`` (``Float[3, h, w]`` in ``[0, 1]``) resized to ``Float[3, height, width]``."""
    if tuple(image.shape[-2:]) == (height, width):
        return image.float()
    size = (height, width)
    out = F.interpolate(image[None].float(), size=size, mode="bilinear", antialias=True)
    return out[0].clamp(0.0, 1.0)
