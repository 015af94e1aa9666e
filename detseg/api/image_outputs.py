"""The files a prediction run writes for images: drawn results, label maps, predictions.json.

:func:`detect_images` writes a detector's drawn detections and ``predictions.json`` (COCO
results); :func:`segment_images` a segmenter's overlays and label-map PNGs. What
``tools/infer.py`` writes for images, as :mod:`detseg.api.video_outputs` is for videos. Where
the output folder holds input images (``--out`` their folder), both list the images they wrote
there in its :data:`~detseg.image_inputs.OUTPUTS_LIST`, which a later run reading that folder
as its input skips (:func:`~detseg.image_inputs.expand_inputs`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import cast

from detseg.api.inputs import InputImage
from detseg.api.predictor import Predictor
from detseg.api.results import DetectionResult, SegmentationResult
from detseg.image_inputs import OUTPUTS_LIST, list_outputs, output_name
from detseg.visualize.output_files import ANOTHER_OUTPUT_FOLDER, file_written, refuse_tool_outputs

logger = logging.getLogger(__name__)


def segment_images(
    predictor: Predictor,
    images: Iterable[InputImage],
    out: Path,
    batch_size: int = 1,
    taken: Iterable[str] = (),
) -> int:
    """Write an overlay with a legend and the label-map PNG of each image; the image count.

    Args:
        predictor: a segmenter (its :attr:`~detseg.api.predictor.Predictor.inference` chain
            makes the label maps).
        images: the images, with their paths.
        out: output folder: ``out/<name>`` overlays, ``out/labels/<stem>.png`` label maps
            (the overlay's stem, one per image: ``x.jpg`` then ``x.png`` give the overlays
            ``x.jpg`` and ``x_1.png``), both added to ``out``'s
            :data:`~detseg.image_inputs.OUTPUTS_LIST` where ``taken`` is not empty or ``out``
            has one.
        batch_size: images per forward pass (images of one size share one).
        taken: file names in ``out`` no overlay may take, case-folded (the input images
            there: :func:`~detseg.image_inputs.names_in_folder`).
    """
    used_names = set(taken)
    beside_inputs = bool(used_names)  # out holds input images
    used_stems: set[str] = set()  # of the label maps, all .png
    written: list[str] = []  # for the output folder's list, also after Ctrl-C or an error
    count = 0
    try:
        for result in predictor.predict_images(images, batch_size=batch_size):
            result = cast(SegmentationResult, result)
            path = result.path or Path(f"image{count + 1}.png")
            name = output_name(path, used_names)
            while Path(name).stem.casefold() in used_stems:  # x.jpg after x.png: the next name
                name = output_name(path, used_names)
            used_stems.add(Path(name).stem.casefold())
            label_map = f"labels/{Path(name).stem}.png"
            for output in (out / name, out / label_map):
                file_written(output, ANOTHER_OUTPUT_FOLDER)  # named after its input
            written.extend((name, label_map))
            result.save(out / name)
            result.save_mask(out / label_map)
            count += 1
            names = [result.names[int(k)] for k in result.mask.unique()]
            logger.info("%s: %s -> %s", path, ", ".join(names), out / name)
    finally:
        _list_written(out, written, beside_inputs)
    return count


def detect_images(
    predictor: Predictor,
    images: Iterable[InputImage],
    out: Path,
    score_threshold: float,
    batch_size: int = 1,
    classes: Sequence[str | int] | None = None,
    image_ids: Sequence[int] | None = None,
    taken: Iterable[str] = (),
) -> tuple[int, int]:
    """Write the drawn detections (and masks) of each image and ``out/predictions.json``: COCO
    result records plus ``category_name`` (the class's name) and ``file_name`` (not
    when ``images`` gives no image: nothing is written then; after Ctrl-C, it holds the images
    drawn so far, and the ``KeyboardInterrupt`` goes on).

    Args:
        predictor: a detector.
        images: the images, with their paths.
        out: output folder: ``out/<name>`` drawings (added to ``out``'s
            :data:`~detseg.image_inputs.OUTPUTS_LIST` where ``taken`` is not empty or ``out``
            has one) and ``out/predictions.json``.
        score_threshold: detections scoring below it are dropped.
        batch_size: images per ``model.predict`` call.
        classes: keep the detections of these classes only (names or labels; default: all).
        image_ids: the ``image_id`` of each image, in order (read as the results come, so it
            may grow while ``images`` is read); default: ``1, 2, ...``.
        taken: file names in ``out`` no drawing may take, case-folded (the input images
            there: :func:`~detseg.image_inputs.names_in_folder`).

    Returns:
        ``(images, detections)``: how many of each were written.

    Raises (each before any image is predicted: :func:`.output_files.refuse_tool_outputs`):
        ValueError: ``out/predictions.json`` is a folder, a FIFO, a device or a link loop.
        FileNotFoundError: ``out/predictions.json`` is a link into a folder that does not
            exist.
        PermissionError: ``out/predictions.json`` is a read-only file.
    """
    refuse_tool_outputs((out / "predictions.json",), "the predictions of the images")
    records: list[dict] = []
    used_names = set(taken)
    beside_inputs = bool(used_names)  # out holds input images
    written: list[str] = []  # for the output folder's list, also after Ctrl-C or an error
    count = 0
    found = predictor.predict_images(
        images, score_threshold, batch_size, mask_probabilities=False, classes=classes
    )
    try:
        for result in found:
            result = cast(DetectionResult, result)
            count += 1
            image_id = count if image_ids is None else int(image_ids[count - 1])
            path = result.path or Path(f"image{count}.png")
            name = output_name(path, used_names)
            file_written(out / name, ANOTHER_OUTPUT_FOLDER)  # named after its input
            written.append(name)
            result.save(out / name)
            for record, class_name in zip(result.to_coco(image_id), result.names, strict=True):
                records.append({**record, "category_name": class_name, "file_name": str(path)})
            logger.info("%s: %d detections -> %s", path, len(result), out / name)
    except KeyboardInterrupt:  # Ctrl-C: the images drawn so far keep their records
        _write_predictions(out, records, count)
        logger.info(
            "stopped by Ctrl-C: %s holds the %d images done", out / "predictions.json", count
        )
        raise
    finally:
        _list_written(out, written, beside_inputs)
    _write_predictions(out, records, count)
    return count, len(records)


def _list_written(out: Path, written: list[str], beside_inputs: bool) -> None:
    """Add the files ``written`` to ``out``'s :data:`~detseg.image_inputs.OUTPUTS_LIST` where
    they lie beside input images (``beside_inputs``: ``out`` holds some, ``--out`` their
    folder), or where an earlier run listed its own; no list elsewhere."""
    if beside_inputs or (out / OUTPUTS_LIST).exists():
        list_outputs(out, written)


def _write_predictions(out: Path, records: list[dict], images: int) -> None:
    """``out/predictions.json``: the COCO result ``records`` of ``images`` images; not written
    when no image was read (all unreadable: an earlier run's file is kept)."""
    if images:
        (out / "predictions.json").write_text(json.dumps(records, indent=1))
