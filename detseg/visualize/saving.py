"""Writing drawn images and label maps to disk.

:func:`save_rgb` writes an RGB image with OpenCV (the one place where RGB becomes OpenCV's BGR);
:func:`save_label_map` writes class indices to a lossless file, a palette image (Pillow) that
shows each class in its drawing colour. Both refuse a folder or a file name OpenCV cannot write
before the writer sees it. A file that cannot be written (a read-only folder, a full disk) is an
``OSError`` with the OS's ``errno`` (``ENOSPC`` for a full disk) and the file as its ``filename``
(what the command-line tools need to name their ``--out``), and neither OpenCV's warning nor
libpng's ``libpng error: Write Error`` reaches stderr (the image is encoded in memory, Python
writes the bytes). The bytes are written whole (:mod:`~detseg.visualize.whole_files`): a failed
write leaves no partial file, and an image that was there stays as it was. Where the output
path stands (:mod:`~detseg.visualize.output_files`): a symbolic link is written through (its
target gets the new image, the link stays); a read-only file, a device, a FIFO or a link loop
is refused in one line and left as it is, for root as well. Writing files is apart from
drawing: the drawings return arrays and write nothing.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image

from detseg.visualize.drawing_inputs import integer_labels, uint8_rgb
from detseg.visualize.palette import class_colors
from detseg.visualize.whole_files import write_bytes, write_whole

if TYPE_CHECKING:  # only the annotations name torch: numpy inputs draw without it
    import torch

#: File extensions :func:`save_label_map` writes: lossless formats, which keep class indices.
LOSSLESS_SUFFIXES = frozenset({".png", ".bmp", ".tif", ".tiff", ".pgm", ".pnm"})

#: Of :data:`LOSSLESS_SUFFIXES`, those whose format has no palette: grayscale files of the indices.
GRAYSCALE_SUFFIXES = frozenset({".pgm", ".pnm"})

#: The palette entry of the ignored label ``255``: white, as in the VOC label maps.
IGNORE_COLOR = (255, 255, 255)


def label_map_palette() -> np.ndarray:
    """The colours of a written label map's indices: ``UInt8[256, 3]`` RGB.

    Index ``0`` (background) is black, index ``k`` in ``1..254`` the colour the drawings give
    label ``k`` (``class_colors(K)[k - 1]``, the same for every ``K >= k``), ``255`` (ignored)
    :data:`IGNORE_COLOR`.
    """
    palette = np.zeros((256, 3), dtype=np.uint8)
    palette[1:255] = np.asarray(class_colors(254), dtype=np.uint8)
    palette[255] = IGNORE_COLOR
    return palette


def save_label_map(path: str | Path, label_map: torch.Tensor | np.ndarray) -> None:
    """Write an ``[H, W]`` label map as an 8-bit palette image of class indices (VOC's form).

    The pixel values are the class indices: :func:`detseg.data.label_maps.read_label_map`,
    ``np.array(PIL.Image.open(path))`` and VOC tools read them back (values ``0..K``). An image
    viewer shows the palette (:func:`label_map_palette`): each class in the colour the
    drawings give it, background black, ``255`` (ignored) white. ``.png``, ``.bmp`` and
    ``.tif``/``.tiff`` hold the palette; ``.pgm``/``.pnm`` have none and are written as
    grayscale indices. A leading ``~`` in ``path`` is the home folder.

    Raises:
        ValueError: a label outside ``0..255``, a fractional one, or a map that is not
            ``[H, W]``; a file name whose extension is not one of the label-map formats
            (:data:`LOSSLESS_SUFFIXES`: a ``.jpg`` would change the class indices, and other
            formats are not read back as the indices); ``path`` is a device, a FIFO, a
            socket or a link loop.
        TypeError: ``path`` is not a file name (an image given first).
        IsADirectoryError: ``path`` is a folder.
        NotADirectoryError: a file stands where one of ``path``'s folders would be.
        FileNotFoundError: one of ``path``'s folders is a link to a missing folder or a link
            loop.
        PermissionError: ``path`` is a read-only file (it is kept; a link at ``path`` is
            written through to its target).
        OSError: the file could not be written.
    """
    path = _check_image_path(_path_argument(path, "save_label_map(path, label_map)"), "label map")
    if path.suffix.lower() not in LOSSLESS_SUFFIXES:
        raise ValueError(
            f"cannot write label map {path}: {path.suffix} is not one of the label-map formats "
            f"({', '.join(sorted(LOSSLESS_SUFFIXES))}), whose 8-bit indices are read back "
            "unchanged (a lossy format such as .jpg would change them); end the file name in "
            ".png"
        )
    labels = integer_labels(label_map, f"cannot write label map {path}")
    if labels.ndim != 2:
        raise ValueError(
            f"cannot write label map {path}: expected a label map [H, W], got shape "
            f"{tuple(labels.shape)}"
        )
    if labels.size and (labels.min() < 0 or labels.max() > 255):
        raise ValueError(
            f"cannot write label map {path}: labels must lie in 0..255 (8-bit class indices), "
            f"got {labels.min()}..{labels.max()}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    indices = np.ascontiguousarray(labels, dtype=np.uint8)
    if path.suffix.lower() in GRAYSCALE_SUFFIXES:
        _write_with_opencv(path, indices)
        return
    image = Image.fromarray(indices)  # mode L; the palette makes it mode P, indices kept
    image.putpalette(label_map_palette().tobytes())
    _write_with_pillow(path, image)


def png_bytes(rgb: np.ndarray) -> bytes:
    """``rgb`` (``uint8 [H, W, 3]`` RGB, what the drawing functions return) as a PNG file's
    bytes: what a notebook shows for a result (``_repr_png_``).

    Raises:
        ValueError: OpenCV could not encode the image (not ``uint8 [H, W, 3]``).
    """
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(
            f"png_bytes takes uint8 [H, W, 3] RGB, got {rgb.dtype} of shape {tuple(rgb.shape)}"
        )
    ok, png = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"could not encode an image of shape {rgb.shape} as PNG")
    return png.tobytes()


def save_rgb(path: str | Path, image: np.ndarray | torch.Tensor) -> None:
    """Write an RGB image; the format follows the file extension.

    Args:
        path: the image file (its folder is created; a leading ``~`` is the home folder).
        image: ``uint8 [H, W, 3]`` RGB (what the drawing functions return), ``float
            [H, W, 3]`` RGB in ``[0, 1]`` (:func:`detseg.data.image_io.read_image_array`), a
            detseg image tensor ``Float[3, H, W]`` in ``[0, 1]`` (:func:`tensor_to_rgb`), or a
            ``uint8 [H, W]`` grey image.

    Raises:
        ValueError: a file name without an image extension OpenCV writes (``.png``, ``.jpg``
            ...); an image of another shape or type, or a float image with values outside
            ``[0, 1]``; a ``.jp2`` image under 32 pixels on a side; ``path`` is a device, a
            FIFO, a socket or a link loop.
        TypeError: ``path`` is not a file name (an image given first).
        IsADirectoryError: ``path`` is a folder.
        NotADirectoryError: a file stands where one of ``path``'s folders would be.
        FileNotFoundError: one of ``path``'s folders is a link to a missing folder or a link
            loop.
        PermissionError: ``path`` is a read-only file (it is kept; a link at ``path`` is
            written through to its target).
        OSError: the file could not be written (an unwritable folder, a full disk): the OS's
            ``errno`` and reason, ``path`` as the ``filename``.
    """
    path = _check_image_path(_path_argument(path, "save_rgb(path, image)"), "image")
    rgb = _rgb_to_save(image, path)
    _refuse_small_jpeg2000(path, rgb)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_with_opencv(path, rgb if rgb.ndim == 2 else cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def _write_with_opencv(path: Path, pixels: np.ndarray) -> None:
    """Encode ``pixels`` in the format of ``path``'s extension in memory (``cv2.imencode``) and
    write the bytes (:func:`write_whole`).

    ``cv2.imwrite`` would write the file itself, and where that fails (a full disk) libpng
    prints ``libpng error: Write Error`` on stderr before detseg's error: OpenCV's PNG encoder
    leaves libpng its default error handler, a ``fprintf`` to the process's stderr, which
    OpenCV's log level (:func:`opencv_log_silenced`) does not reach. Python's write fails with
    the OS's ``errno`` (``ENOSPC``, ``EACCES`` ...), raised as an ``OSError`` naming ``path``.

    Two encoders write through a file even in ``cv2.imencode`` (:data:`FILE_ENCODED_SUFFIXES`:
    OpenCV writes and reads back a temporary file in ``$OPENCV_TEMP_PATH``, else ``/tmp``);
    where that folder cannot be written, ``cv2.imwrite`` writes the image beside its own file
    instead.
    """
    encoded, data = False, np.empty(0, np.uint8)
    with opencv_log_silenced(), contextlib.suppress(cv2.error):
        encoded, data = cv2.imencode(path.suffix, pixels)
    if encoded:
        write_whole(path, lambda file: write_bytes(path, file, data.tobytes()))
    elif path.suffix.lower() in FILE_ENCODED_SUFFIXES:
        write_whole(path, lambda file: _write_through_opencv(path, file, pixels))
    else:
        raise OSError(errno.EIO, f"OpenCV could not encode it as {path.suffix}", str(path))


#: Extensions whose OpenCV encoder writes a file even when it encodes in memory (Radiance HDR,
#: JPEG 2000).
FILE_ENCODED_SUFFIXES = frozenset({".hdr", ".pic", ".jp2"})


def _write_through_opencv(path: Path, file: Path, pixels: np.ndarray) -> None:
    """``cv2.imwrite(file, pixels)``, its failure an ``OSError`` naming ``path``."""
    with opencv_log_silenced(), contextlib.suppress(cv2.error):
        if cv2.imwrite(str(file), pixels):
            return
    raise OSError(errno.EIO, f"OpenCV could not write it as {path.suffix}", str(path))


def _write_with_pillow(path: Path, image: Image.Image) -> None:
    """Encode ``image`` in the format of ``path``'s extension in memory (Pillow) and write the
    bytes (:func:`write_whole`), as :func:`_write_with_opencv` does: a full disk is the OS's
    ``ENOSPC`` of Python's write."""
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=Image.registered_extensions()[path.suffix.lower()])
    except (OSError, KeyError, ValueError) as exc:
        raise OSError(errno.EIO, f"Pillow could not encode it ({exc})", str(path)) from exc
    write_whole(path, lambda file: write_bytes(path, file, buffer.getvalue()))


@contextlib.contextmanager
def opencv_log_silenced() -> Iterator[None]:
    """OpenCV's log level silent inside, restored after: the error raised says what failed
    (also around the video reads and writes, :func:`detseg.api.video.quiet_opencv`)."""
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(previous)


def _rgb_to_save(image: np.ndarray | torch.Tensor, path: Path) -> np.ndarray:
    """``image`` as ``uint8 [H, W, 3]`` (or ``[H, W]`` grey) for :func:`save_rgb`
    (:func:`uint8_rgb`, errors naming ``path``; an image without pixels is refused: OpenCV
    cannot write it)."""
    rgb = uint8_rgb(image, f"cannot write image {path}", grey=True)
    if not rgb.size:
        raise ValueError(
            f"cannot write image {path}: it has no pixels (shape {tuple(rgb.shape)}); give an "
            "image of at least 1 x 1"
        )
    return rgb


def _refuse_broken_folder_link(folder: Path, path: Path, what: str) -> None:
    """Refuse ``folder`` (one of the folders of the output ``path``) when it is a symbolic
    link to a folder that does not exist, or a link loop: it cannot be created (the link is
    there) nor written in.

    Raises:
        FileNotFoundError: one line naming the link and what to do.
    """
    if not folder.is_symlink() or folder.exists():
        return
    raise FileNotFoundError(
        f"cannot write {what} {path}: {folder} is a link to a missing folder (or a link loop); "
        "create its target or remove the link"
    )


def _refuse_small_jpeg2000(path: Path, rgb: np.ndarray) -> None:
    """Refuse to write ``rgb`` as JPEG 2000 (``.jp2``) when a side is under
    :data:`JPEG2000_MIN_SIDE` pixels: OpenJPEG, OpenCV's encoder, cannot start compressing such
    an image (its default resolution levels need more), and the write would fail with no
    reason given."""
    height, width = rgb.shape[:2]
    if path.suffix.lower() != ".jp2" or min(height, width) >= JPEG2000_MIN_SIDE:
        return
    side = JPEG2000_MIN_SIDE
    raise ValueError(
        f"cannot write image {path}: JPEG 2000 needs at least {side} x {side} pixels, the "
        f"image is {width} x {height} (width x height); use .png, or scale the image up"
    )


#: The fewest pixels on a side of an image OpenCV writes as JPEG 2000.
JPEG2000_MIN_SIDE = 32


def _path_argument(path: object, signature: str) -> Path:
    """``path`` as a :class:`Path`, a leading ``~`` the home folder (as ``result.save`` and
    the video writer take it, not a folder named ``~``); an array or tensor there (the
    arguments swapped) is a ``TypeError`` that gives the ``signature``."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{signature}: the file name comes first, got {type(path).__name__} as path"
        )
    return Path(path).expanduser()


def _check_image_path(path: Path, what: str) -> Path:
    """``path``, refused before OpenCV sees it (whose own error is an unhelpful ``cv2.error``)
    when it is a folder, a file stands where one of its folders would be created, one of its
    folders is a link to nothing (:func:`_refuse_broken_folder_link`; ``mkdir`` would fail
    with a bare ``FileExistsError`` on both), or its extension names no format OpenCV
    writes."""
    for folder in path.parents:
        _refuse_broken_folder_link(folder, path, what)
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(
                f"cannot write {what} {path}: {folder} is a file, not a folder; give a path "
                "in a folder"
            )
    if path.is_dir():
        raise IsADirectoryError(
            f"cannot write {what} {path}: it is a folder; give a file name, e.g. "
            f"{path / 'prediction.png'}"
        )
    if not path.suffix or not cv2.haveImageWriter(str(path)):
        extension = path.suffix or "no extension"
        raise ValueError(
            f"cannot write {what} {path}: {extension} is not an image format OpenCV writes; "
            "end the file name in .png or .jpg"
        )
    return path
