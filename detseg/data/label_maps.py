"""Label-map files: reading them as class indices and checking them against their image.

A label map is a PNG (or another lossless file Pillow reads; JPEG and lossy WebP are refused) of
class indices, ``0`` background, ``1..K`` the classes, ``255`` ignored. Palette images give their
indices, not their colours; an RGB file is accepted only when its three channels are equal.
Separate from the datasets because the dataset check, the evaluation and the tools read and
check label maps with the same rules.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from PIL import Image

from detseg.data.image_io import ImageReadError, pillow_pixel_limit_lifted
from detseg.data.seg_transforms import IGNORE_INDEX

__all__ = [
    "check_label_map",
    "header_size",
    "is_lossy_webp",
    "is_void_only",
    "read_label_map",
]

logger = logging.getLogger(__name__)

#: Whether this process has warned about a label map of background and ignored pixels only.
_void_only_reported = False


def read_label_map(path: str | os.PathLike) -> np.ndarray:
    """Read a label-map file as class indices.

    Args:
        path: A PNG (or other lossless Pillow-readable file) of class indices: palette,
            grayscale (8 or 16 bit), or RGB with three equal channels.

    Returns:
        ``[H, W]`` integer array of the stored indices (``uint8`` for 8-bit files).

    Label maps are read up to the pixel count images are (OpenCV's limit, ``2**30`` unless
    the environment variable ``OPENCV_IO_MAX_IMAGE_PIXELS`` sets another), not Pillow's
    smaller decompression-bomb limit, so the label map of a large aerial or slide image reads
    as its image does.

    Raises:
        ImageReadError: The file is missing, not a decodable image, or over that pixel limit.
        ValueError: The file is a JPEG or a lossy WebP (lossy compression turns the indices
            along every border into other indices, most of them valid classes), an RGB image with
            differing channels (colours, not indices) or has a pixel type that cannot hold
            indices.
    """
    path = Path(path)
    try:
        with pillow_pixel_limit_lifted(), Image.open(path) as image:
            mode, file_format = image.mode, image.format
            _refuse_lossy(file_format, path)
            _check_pixel_count(image.width * image.height, path)
            array = np.array(image)
    except LossyLabelMapError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageReadError(path, f"{type(exc).__name__}: {exc}") from exc
    if mode in ("LA", "PA", "RGB", "RGBA"):
        colours = array[..., :3] if mode in ("RGB", "RGBA") else array[..., :1]
        if (colours != colours[..., :1]).any():
            raise ValueError(_colour_map_message(path, mode, colours))
        array = colours[..., 0]
    if array.ndim != 2 or not (np.issubdtype(array.dtype, np.integer) or array.dtype == bool):
        raise ValueError(
            f"label map {path} has mode {mode} (dtype {array.dtype}, shape {array.shape}); "
            "expected a single-channel image of integer class indices"
        )
    return array.astype(np.uint8) if array.dtype == bool else array


def _colour_map_message(path: Path, mode: str, colours: np.ndarray) -> str:
    """The error for a label map stored as colours (``UInt8[H, W, 3]``), naming the colours
    found: a colour map (CVAT's or LabelMe's RGB export, a VOC label map saved as RGB) needs its
    colours mapped to class indices; converting it to a palette image (``convert("P")``) gives
    indices of that palette, not classes."""
    packed = (colours.astype(np.int64) @ np.array([1 << 16, 1 << 8, 1])).ravel()
    found = np.unique(packed)
    shown = ", ".join(str((int(c) >> 16, (int(c) >> 8) & 255, int(c) & 255)) for c in found[:6])
    more = f" and {found.size - 6} more" if found.size > 6 else ""
    return (
        f"label map {path} is a colour image ({mode}) of {found.size} colours, {shown}{more}; "
        "a label map holds class indices (0 background, k the k-th class, 255 ignore), not "
        "colours: map each colour to its class index and save the indices as a single-channel "
        "PNG (or as a palette PNG whose index k is class k, as VOC's SegmentationClass files)"
    )


#: Pillow formats whose compression is lossy: their pixel values are not the indices written.
#: A WebP may be either (:func:`is_lossy_webp`); Pillow writes a lossy one unless told
#: ``lossless=True``.
LOSSY_FORMATS = ("JPEG", "MPO")

#: What a lossy label map does to the class indices, said for each lossy format.
_LOSSY_DAMAGE = (
    "lossy compression changes the class indices along every border (into other, valid classes)"
)


class LossyLabelMapError(ValueError):
    """A label map stored in a lossy format (:data:`LOSSY_FORMATS`, a lossy WebP)."""


def _refuse_lossy(file_format: str | None, path: Path) -> None:
    """Raise :class:`LossyLabelMapError` for a label map in a lossy format: JPEG or lossy WebP
    compression moves the indices along class borders to neighbouring values (a class ``15``
    becomes ``14`` or ``16`` there), which pass every range check as wrong classes."""
    if file_format in LOSSY_FORMATS:
        raise LossyLabelMapError(
            f"label map {path} is a JPEG: {_LOSSY_DAMAGE}; store label maps as PNG"
        )
    if file_format == "WEBP" and is_lossy_webp(path):
        raise LossyLabelMapError(
            f"label map {path} is a lossy WebP: {_LOSSY_DAMAGE}; store label maps as PNG or "
            "lossless WebP (lossless=True)"
        )


def is_lossy_webp(path: Path) -> bool:
    """Whether the WebP file ``path`` holds lossy image data: a ``VP8 `` chunk (lossless data
    is a ``VP8L`` chunk). A simple file starts with its image chunk (bytes 12..16); an extended
    one (``VP8X``: alpha, metadata or animation) has it among the chunks that follow, inside
    ``ANMF`` frames when animated. A file cut short reads as not lossy (decoding it fails)."""
    with open(path, "rb") as file:
        data = file.read()
    return _has_lossy_chunk(data, 12, len(data))


def _has_lossy_chunk(data: bytes, start: int, end: int) -> bool:
    """Whether the RIFF chunks of ``data[start:end]`` hold a ``VP8 `` chunk, looking into the
    frames (``ANMF``: 16 bytes of frame header, then chunks) of an animated file."""
    offset = start
    while offset + 8 <= end:
        fourcc = data[offset : offset + 4]
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        body = offset + 8
        if fourcc == b"VP8 ":
            return True
        if fourcc == b"ANMF" and _has_lossy_chunk(data, body + 16, min(body + size, end)):
            return True
        offset = body + size + (size & 1)  # chunks are padded to an even size
    return False


def check_label_map(
    mask: np.ndarray, image_size: tuple[int, int], num_classes: int, source: str
) -> np.ndarray:
    """Check a label map against its image and the class count.

    Args:
        mask: ``[H, W]`` integer label map.
        image_size: ``(H, W)`` of the decoded image.
        num_classes: ``K``, the number of foreground classes.
        source: Name for messages (the label-map file).

    Returns:
        The mask as ``UInt8[H, W]``.

    Raises:
        ValueError: The sizes differ, or a value is outside ``0..K`` and ``255``.
    """
    if mask.shape != tuple(image_size):
        hint = ""
        if mask.shape == tuple(image_size)[::-1]:  # the classic cause: a rotated phone photo
            hint = (
                " (height and width are swapped: it was drawn on a rotated view of the image, "
                "e.g. a photo shown by its EXIF orientation; detseg reads an image as displayed "
                "only when it is a JPEG whose EXIF orientation (5..8) swaps width and height "
                "and its label map has that displayed size, the stored size transposed, which "
                "this pair is not: rotate one of the two files, e.g. "
                "PIL.ImageOps.exif_transpose on the original photo)"
            )
        raise ValueError(
            f"{source}: label map is {mask.shape[0]}x{mask.shape[1]} (HxW) but its image is "
            f"{image_size[0]}x{image_size[1]}; each label map must match its image pixel for "
            f"pixel{hint}"
        )
    if mask.dtype == np.uint8:
        values = np.flatnonzero(np.bincount(mask.ravel(), minlength=256))
    else:
        values = np.unique(mask)
    bad = values[((values < 0) | (values > num_classes)) & (values != IGNORE_INDEX)]
    if bad.size:
        raise ValueError(
            f"{source}: label values {bad[:10].tolist()} are outside 0..{num_classes} "
            f"(background and {num_classes} classes) and {IGNORE_INDEX} (ignore); "
            "is the class list complete?"
        )
    _report_void_only(values, num_classes, source)
    return mask.astype(np.uint8)


def is_void_only(values: np.ndarray, num_classes: int) -> bool:
    """Whether a label map of the values ``values`` (``[M]`` distinct stored values) holds
    ignored pixels (``255``) and no class ``1..num_classes``: only ``0`` and ``255``, the
    binary mask of a tool that stores its foreground as 255."""
    if IGNORE_INDEX not in values:
        return False
    return not bool(((values >= 1) & (values <= num_classes)).any())


def _report_void_only(values: np.ndarray, num_classes: int, source: str) -> None:
    """Warn, once per process, about a label map whose values are ``255`` (ignored) and at most
    ``0``: the binary masks of many tools store their foreground as 255, which is never trained
    or scored, so a dataset of them trains on background alone without another sign."""
    global _void_only_reported
    if _void_only_reported or not is_void_only(values, num_classes):
        return
    _void_only_reported = True
    logger.warning(
        "%s: label map holds ignored (%d) pixels and no pixel of a class 1..%d (%s); if it is "
        "a binary mask with its foreground stored as %d, store the foreground as 1 (class 1): "
        "%d is ignored by the loss and by mIoU; detseg-check-data (tools/check_data.py) counts "
        "such files",
        source,
        IGNORE_INDEX,
        num_classes,
        "the rest background (0)" if 0 in values else "every pixel ignored",
        IGNORE_INDEX,
        IGNORE_INDEX,
    )


def header_size(path: Path) -> tuple[int, int] | None:
    """``(H, W)`` of an image file from its header, ``None`` when Pillow cannot open it.

    Pillow's decompression-bomb limit (``Image.MAX_IMAGE_PIXELS``) is lifted for this read,
    which decodes no pixels: a label map of a large aerial or slide image still tells its size
    (the label-map read itself names a file too large to decode).
    """
    try:
        with pillow_pixel_limit_lifted(), Image.open(path) as label_map:
            return label_map.height, label_map.width
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _check_pixel_count(pixels: int, path: Path) -> None:
    """Refuse a label map of more ``pixels`` than images are decoded with (OpenCV's limit)."""
    setting = os.environ.get("OPENCV_IO_MAX_IMAGE_PIXELS", "")
    limit = int(setting) if setting.strip().isdigit() else 1 << 30
    if pixels > limit:
        raise ValueError(
            f"it has {pixels} pixels, more than images are read with ({limit}); set the "
            "environment variable OPENCV_IO_MAX_IMAGE_PIXELS to a larger number (before Python "
            "starts), or tile the image and its label map"
        )
