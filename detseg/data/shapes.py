"""The synthetic shapes dataset: COCO-format detection + instance and semantic segmentation.

``generate_shapes(out_dir)`` writes::

    <out_dir>/train/images/000000.png ...          RGB images (size x size)
    <out_dir>/val/images/000000.png ...
    <out_dir>/test/images/000000.png ...           (only when num_test > 0)
    <out_dir>/annotations/instances_train.json     COCO json: RLE segmentations, mask areas,
    <out_dir>/annotations/instances_val.json       xywh boxes of the visible pixels, iscrowd 0
    <out_dir>/annotations/instances_test.json
    <out_dir>/masks/train/000000.png ...           UInt8 label maps: 0 background, 1..K classes

Recipes are tuned on ``val``; ``test`` is the held-out split that reported numbers come from.

Each image has a textured background (gradient, blocky noise, stripes or clouds) and 0..6
shapes of the :data:`SHAPE_CLASSES` (about 5% of the images have none), each with a random
class, diameter (8 px up to ``min(150, 0.6 * size)``, log-uniform, so COCO small, medium and
large objects all occur at size 256), rotation and a colour that contrasts with what it covers.
Later shapes occlude earlier ones: masks, areas and boxes describe the visible pixels, and an
instance with fewer than :data:`MIN_VISIBLE_AREA` visible pixels is left out.

The dataset is written into a hidden folder next to ``<out_dir>``
(``.<name>.partial-<process id>``) and renamed to it at the end, so ``<out_dir>`` is either the
whole dataset or absent: an interrupted run leaves no half-written dataset (that ``make demo``
would take as done, or refuse to overwrite). ``<out_dir>`` must be new or an empty folder.

Image ``i`` of a split depends only on ``(seed, split, i, size)`` (its own
``numpy.random.default_rng``), so the same arguments give byte-identical files, and each split
is drawn from its own random stream: no image of ``test`` repeats one of ``train`` or ``val``.
"""

from __future__ import annotations

import errno
import json
import logging
import multiprocessing
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from detseg.argument_checks import check_new_folder
from detseg.data.shapes_draw import (
    BACKGROUND_KINDS,
    SHAPE_CLASSES,
    ShapeSpec,
    draw_background,
    fill_shape,
    pick_contrasting_colour,
)
from detseg.progress_bars import progress_bar

__all__ = [
    "MIN_VISIBLE_AREA",
    "SHAPE_CLASSES",
    "ImageSpec",
    "RenderedImage",
    "generate_shapes",
    "image_spec",
    "render_image",
    "shapes_categories",
]

logger = logging.getLogger(__name__)

#: Instances with fewer visible pixels than this are not annotated (nor kept in the masks).
MIN_VISIBLE_AREA = 10
EMPTY_FRACTION = 0.05
MAX_OBJECTS = 6
MIN_OBJECT_SIZE = 8.0
MAX_OBJECT_SIZE = 150.0
_SPLIT_CODES = {"train": 0, "val": 1, "test": 2}


@dataclass(frozen=True)
class ImageSpec:
    """What one image contains, before drawing.

    Attributes:
        size: Image side in pixels.
        background: One of :data:`~detseg.data.shapes_draw.BACKGROUND_KINDS`.
        noise_std: Standard deviation of the pixel noise added last (0..255 scale).
        shapes: Shapes in drawing order (later ones occlude earlier ones).
    """

    size: int
    background: str
    noise_std: float
    shapes: tuple[ShapeSpec, ...]


@dataclass
class RenderedImage:
    """A drawn image and its ground truth.

    Attributes:
        image: ``UInt8[S, S, 3]`` RGB.
        semantic: ``UInt8[S, S]`` label map, 0 background, ``1..K`` classes.
        labels: ``Int64[N]`` labels of the annotated (visible) instances, in drawing order.
        masks: ``Bool[N, S, S]`` visible pixels of each annotated instance.
    """

    image: np.ndarray
    semantic: np.ndarray
    labels: np.ndarray
    masks: np.ndarray


def _image_rng(seed: int, split: str, index: int) -> np.random.Generator:
    if split not in _SPLIT_CODES:
        raise ValueError(f"split must be one of {list(_SPLIT_CODES)}, got {split!r}")
    return np.random.default_rng([seed, _SPLIT_CODES[split], index])


def _sample_spec(rng: np.random.Generator, size: int) -> ImageSpec:
    """Draw the content of one image (the first draws of the image's generator)."""
    max_size = min(MAX_OBJECT_SIZE, 0.6 * size)
    num = 0 if rng.random() < EMPTY_FRACTION else int(rng.integers(1, MAX_OBJECTS + 1))
    shapes = []
    for _ in range(num):
        diameter = float(np.exp(rng.uniform(np.log(MIN_OBJECT_SIZE), np.log(max_size))))
        margin = diameter * 0.3  # at least the middle of the shape lies inside the image
        shapes.append(
            ShapeSpec(
                label=int(rng.integers(1, len(SHAPE_CLASSES) + 1)),
                cx=float(rng.uniform(margin, size - margin)),
                cy=float(rng.uniform(margin, size - margin)),
                size=diameter,
                angle=float(rng.uniform(0, 2 * np.pi)),
            )
        )
    background = BACKGROUND_KINDS[int(rng.integers(len(BACKGROUND_KINDS)))]
    noise_std = float(rng.choice([0.0, 3.0, 8.0]))
    return ImageSpec(size, background, noise_std, tuple(shapes))


def image_spec(seed: int, split: str, index: int, size: int = 256) -> ImageSpec:
    """The content of image ``index`` of ``split`` without drawing it (cheap; for statistics)."""
    return _sample_spec(_image_rng(seed, split, index), size)


def render_image(seed: int, split: str, index: int, size: int = 256) -> RenderedImage:
    """Draw image ``index`` of ``split`` exactly as :func:`generate_shapes` writes it."""
    rng = _image_rng(seed, split, index)
    spec = _sample_spec(rng, size)
    canvas = draw_background(rng, spec.background, size)
    owner = np.full((size, size), -1, dtype=np.int16)  # index of the shape seen at each pixel
    for k, shape in enumerate(spec.shapes):
        covered = fill_shape(shape, size)
        if not covered.any():
            continue
        canvas[covered] = pick_contrasting_colour(rng, canvas[covered])
        owner[covered] = k
    if spec.noise_std > 0:
        canvas += rng.standard_normal(canvas.shape, dtype=np.float32) * np.float32(spec.noise_std)
    image = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    masks, labels = [], []
    semantic = np.zeros((size, size), dtype=np.uint8)
    for k, shape in enumerate(spec.shapes):
        visible = owner == k
        if int(visible.sum()) < MIN_VISIBLE_AREA:
            continue
        masks.append(visible)
        labels.append(shape.label)
        semantic[visible] = shape.label
    stacked = np.stack(masks) if masks else np.zeros((0, size, size), dtype=bool)
    return RenderedImage(image, semantic, np.array(labels, dtype=np.int64), stacked)


def shapes_categories() -> list[dict[str, Any]]:
    """COCO ``categories`` of the shapes dataset (ids ``1..K`` in :data:`SHAPE_CLASSES` order)."""
    return [
        {"id": k + 1, "name": name, "supercategory": "shape"}
        for k, name in enumerate(SHAPE_CLASSES)
    ]


def _mask_annotation(mask: np.ndarray) -> dict[str, Any]:
    """COCO ``segmentation`` (compressed RLE), ``area`` and ``bbox`` of one ``Bool[H, W]`` mask."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    counts = rle["counts"]
    assert isinstance(counts, bytes)  # encode gives the compressed counts as bytes
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    x0, y0 = int(xs[0]), int(ys[0])
    return {
        "segmentation": {"size": [int(v) for v in rle["size"]], "counts": counts.decode()},
        "area": int(mask.sum()),
        # The box covers whole pixels: columns x0..x1 span [x0, x1 + 1) in continuous xyxy.
        "bbox": [x0, y0, int(xs[-1]) - x0 + 1, int(ys[-1]) - y0 + 1],
    }


def _write_png(path: Path, array: np.ndarray) -> None:
    """``array`` (BGR, or one channel) as the PNG file ``path``, encoded in memory and written
    by Python: a failed write (a full disk) is the OS's ``OSError`` naming ``path``, with
    nothing on stderr (``cv2.imwrite`` leaves libpng its default error handler, which prints
    ``libpng error: Write Error`` there first)."""
    encoded, data = cv2.imencode(".png", array)
    if not encoded:
        raise OSError(errno.EIO, "OpenCV could not encode it as PNG", str(path))
    try:
        path.write_bytes(data.tobytes())
    except OSError as exc:  # a failed write() names no file
        raise OSError(exc.errno or errno.EIO, exc.strerror or str(exc), str(path)) from exc


def _write_image(job: tuple[Path, str, int, int, int]) -> list[dict[str, Any]]:
    """Draw and write image ``index`` and its label map; return its annotations (no ids yet)."""
    out_dir, split, index, size, seed = job
    rendered = render_image(seed, split, index, size)
    name = f"{index:06d}.png"
    _write_png(out_dir / split / "images" / name, rendered.image[:, :, ::-1])  # OpenCV: BGR
    _write_png(out_dir / "masks" / split / name, rendered.semantic)
    anns = []
    for label, mask in zip(rendered.labels, rendered.masks, strict=True):
        anns.append({"category_id": int(label), "iscrowd": 0, **_mask_annotation(mask)})
    return anns


def _generate_split(
    out_dir: Path, split: str, num: int, size: int, seed: int, workers: int, progress: bool | None
) -> dict[str, Any]:
    """Write one split's images and semantic masks; return its COCO dict."""
    (out_dir / split / "images").mkdir(parents=True, exist_ok=True)
    (out_dir / "masks" / split).mkdir(parents=True, exist_ok=True)
    jobs = [(out_dir, split, index, size, seed) for index in range(num)]
    bar = progress_bar(total=num, desc=f"shapes {split}", unit="img", progress=progress)
    per_image: list[list[dict[str, Any]]] = []
    with bar:
        workers = min(workers, num)  # a process per image at most: the others would idle
        if workers > 1:
            with multiprocessing.Pool(workers) as pool:  # imap: results in index order
                chunk = max(1, min(16, num // (8 * workers)))
                for anns in pool.imap(_write_image, jobs, chunksize=chunk):
                    per_image.append(anns)
                    bar.update()
        else:
            for job in jobs:
                per_image.append(_write_image(job))
                bar.update()
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for index, anns in enumerate(per_image):
        image_id = index + 1
        name = f"{index:06d}.png"
        images.append({"id": image_id, "file_name": name, "height": size, "width": size})
        for ann in anns:
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, **ann})
    info = {"description": "detseg synthetic shapes", "seed": seed, "size": size, "split": split}
    return {
        "info": info,
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": shapes_categories(),
    }


def generate_shapes(
    out_dir: str | os.PathLike,
    num_train: int = 2000,
    num_val: int = 300,
    size: int = 256,
    seed: int = 0,
    workers: int = 1,
    num_test: int = 0,
    progress: bool | None = None,
) -> dict[str, int]:
    """Write the shapes dataset (layout in the module docstring).

    Args:
        out_dir: Output folder: new, or an empty folder (a dataset is never written over
            other files).
        num_train: Training images.
        num_val: Validation images.
        size: Image side in pixels (>= 32).
        seed: Base seed; the same arguments give byte-identical files.
        workers: Processes drawing images in parallel, at most one per image of a split (the
            files do not depend on it).
        num_test: Held-out test images (0 = no test split; ``tools/make_shapes.py`` writes 300).
        progress: A tqdm bar per split on stderr (images written): ``None`` shows it only when
            stderr is a terminal, ``True`` always, ``False`` never.

    Returns:
        Counts: ``{"<split>_images", "<split>_annotations"}`` for train, val (and test).

    Raises:
        ValueError: A negative count, ``size < 32``, ``workers < 1``, or ``out_dir`` a folder
            that is not empty.
        NotADirectoryError: ``out_dir`` is a file, or a file stands where one of its parent
            folders belongs.
        OSError: ``out_dir`` cannot be written (the error names ``out_dir`` or a path in it,
            never the hidden folder the dataset is written into first).
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if min(num_train, num_val, num_test) < 0:
        raise ValueError(
            f"image counts must be >= 0, got num_train={num_train}, num_val={num_val}, "
            f"num_test={num_test}"
        )
    if num_train + num_val + num_test == 0:
        raise ValueError(
            "every image count is 0: nothing to write; give the images of at least one split "
            "(num_train, num_val, num_test)"
        )
    if size < 32:
        raise ValueError(f"size must be >= 32 px so that shapes of 8 px and more fit, got {size}")
    out = Path(out_dir)
    check_new_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)  # left by a killed run of the same process id
    try:
        (partial / "annotations").mkdir(parents=True)
        counts = {}
        splits = [("train", num_train), ("val", num_val)]
        splits += [("test", num_test)] if num_test else []
        for split, num in splits:
            counts.update(_write_split(partial, split, num, size, seed, workers, progress))
        check_new_folder(out)  # nothing was put there meanwhile
        os.replace(partial, out)  # an empty folder is replaced as well
    except OSError as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise _naming_out(error, partial, out) from error
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return counts


def _naming_out(error: OSError, partial: Path, out: Path) -> OSError:
    """``error`` with its paths in the hidden ``partial`` folder moved to ``out``: the user
    asked for ``out`` and never sees ``partial`` (``error`` itself when it names neither)."""

    def moved(name: object) -> object:
        if not isinstance(name, (str, os.PathLike)):
            return name
        path = Path(name)
        if path == partial or partial in path.parents:
            return str(out / path.relative_to(partial))
        return name

    filename, filename2 = moved(error.filename), moved(error.filename2)
    if (filename, filename2) == (error.filename, error.filename2) or error.errno is None:
        return error
    return OSError(error.errno, error.strerror, filename, None, filename2)


def _write_split(
    out: Path, split: str, num: int, size: int, seed: int, workers: int, progress: bool | None
) -> dict[str, int]:
    """Write one split's images, label maps and COCO json into ``out``; its two counts."""
    coco = _generate_split(out, split, num, size, seed, workers, progress)
    with open(out / "annotations" / f"instances_{split}.json", "w", encoding="utf-8") as f:
        json.dump(coco, f, sort_keys=True, separators=(",", ":"))
    logger.info("shapes %s: %d images, %d objects", split, num, len(coco["annotations"]))
    return {
        f"{split}_images": len(coco["images"]),
        f"{split}_annotations": len(coco["annotations"]),
    }
