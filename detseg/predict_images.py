"""Run a checkpoint on image files and videos and write what it finds, drawn and as data.

The model runs through :class:`detseg.api.Predictor` (``detseg.load``); this module names the
inputs and writes the files.

A detector gives, for each readable image, ``OUT/<name>`` with boxes, class names and scores
drawn (one colour per class), and ``OUT/predictions.json``: every detection at or above the
score threshold in the COCO results format (``image_id`` is the position of the image in the
input list, from 1; ``category_id`` the dataset's id) plus ``file_name``. A detector with
instance masks (Mask R-CNN) also draws each mask (translucent, outlined, in its class colour)
and gives each record its ``segmentation``, the mask as COCO compressed RLE.

A segmenter gives ``OUT/<name>``: the image with one colour per class blended in and a legend
(class names and colours) on its right, and ``OUT/labels/<stem>.png``: the predicted label map
as an 8-bit PNG (0 background, ``k`` the k-th class of the checkpoint), made as the
checkpoint config's ``eval.tta``, ``eval.tta_scales`` and ``eval.crf`` say (``plain``: one
forward pass).

``<name>`` is the image's file name (``.png`` for other suffixes), with ``_1``, ``_2`` ...
after its stem where names repeat or ``OUT`` holds an input image of that name (an input is
never written over).

A video file (by suffix, :data:`detseg.api.video.VIDEO_SUFFIXES`), a camera index (``"0"``)
or a stream URL (``rtsp://``, ``http://`` ...) gives ``OUT/<stem>.mp4``, the frames drawn as
above at the source's frame rate, and ``OUT/<stem>.jsonl``, one record per frame (see
:mod:`detseg.api.video_outputs`).

Inputs that name nothing, and images or videos that cannot be read, are reported by name, one
message each saying why (:attr:`PredictionRun.errors`); the others are processed.
"""

from __future__ import annotations

import glob
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from detseg.api.inputs import InputImage
from detseg.api.predictor import Predictor, load
from detseg.api.results import DetectionResult, SegmentationResult
from detseg.api.video import VIDEO_SUFFIXES, is_camera, is_url
from detseg.api.video_outputs import VideoRun, count, predict_video, video_output_stem
from detseg.argument_checks import check_output_folder, score_threshold_problem
from detseg.data.image_io import IMAGE_SUFFIXES
from detseg.engine.runtime import Detector
from detseg.image_inputs import (
    expand_inputs,
    names_in_folder,
    output_name,
    read_images,
)
from detseg.segmentation.inference import SegmentationInference

logger = logging.getLogger(__name__)


@dataclass
class PredictionRun:
    """What :func:`predict_checkpoint` did.

    Attributes:
        task: ``"detection"`` or ``"segmentation"``.
        images: images processed.
        out: output folder.
        detections: detections written to ``predictions.json`` (detection only).
        score_threshold: the score a detection needed to be kept (detection only).
        failed: inputs that named nothing, and images or videos that could not be read.
        errors: one message per input of ``failed``, naming it and saying why.
        videos: one record per video, camera or stream processed.
        wrote_images: the image outputs (``predictions.json``, overlays) were written; not
            when the inputs were videos only, or when no image could be read.
    """

    task: str
    images: int
    out: Path
    detections: int = 0
    score_threshold: float | None = None
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    videos: list[VideoRun] = field(default_factory=list)
    wrote_images: bool = True

    def summary(self) -> str:
        """What was processed and where the results are: a line per video, then the images."""
        lines = [video.summary() for video in self.videos]
        if self.wrote_images and self.task == "segmentation":
            lines.append(
                f"{count(self.images, 'image')} segmented: overlays in {self.out}/, label maps in "
                f"{self.out / 'labels'}/"
            )
        elif self.wrote_images:
            lines.append(
                f"{count(self.images, 'image')}, {count(self.detections, 'detection')} "
                f"(score >= {_number(self.score_threshold)}) in {self.out}/"
            )
        return "\n".join(lines)


def _number(value: float | None) -> str:
    """``value`` as a summary shows it: ``-0.0`` and ``0.0`` as ``0``, ``0.5`` as ``0.5``."""
    if value is None:
        return "None"
    value += 0.0  # -0.0 + 0.0 is 0.0
    return str(int(value)) if value.is_integer() else repr(value)


def predict_checkpoint(
    checkpoint: str | os.PathLike,
    inputs: str | os.PathLike | Sequence[str | os.PathLike],
    out: str | os.PathLike,
    device: str = "auto",
    score_threshold: float | None = None,
    tta: str | None = None,
    plain: bool = False,
    batch_size: int = 1,
    overrides: Sequence[str] = (),
    max_frames: int | None = None,
    on_error: Callable[[str], None] | None = None,
    classes: Sequence[str | int] | None = None,
) -> PredictionRun:
    """Run ``checkpoint`` on the images and videos named by ``inputs``; write into ``out``.

    Args:
        checkpoint: a ``best.pt`` / ``last.pt`` written by training.
        inputs: image files, folders or glob patterns (see
            :func:`detseg.image_inputs.expand_inputs`), video files, camera indices
            (``"0"``) and stream URLs, as strings or paths; one string or path is one input.
        out: output folder (created).
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        score_threshold: detection only: keep detections scoring at least this (default:
            the config's ``eval.score_threshold``). Below the model's own inference threshold
            (``model.score_thresh``), that threshold is lowered to it for this run, so that
            e.g. ``0.001`` gives every detection COCO AP needs.
        tta: segmentation only: test-time augmentation mode of
            :mod:`detseg.segmentation.tta` (default: the config's ``eval.tta``).
        plain: segmentation only: one forward pass per image (``model.predict``), whatever
            the config says.
        batch_size: images per forward pass (video frames go one at a time).
        overrides: ``"key=value"`` changes of the checkpoint's config (``--set``), e.g.
            ``model.roi_heads.nms_thresh=0.6`` or ``eval.crf.iterations=0``.
        max_frames: stop each video, camera or stream after this many frames.
        on_error: called with the message of each input that names nothing or cannot be
            read, as it fails (default: the message is logged as an error). The messages are
            also in :attr:`PredictionRun.errors`.
        classes: detection only: keep the detections of these classes (names or labels
            ``1..K``; default: every class).

    Raises:
        ValueError: ``batch_size`` or ``max_frames`` below 1, ``score_threshold`` outside
            ``[0, 1]``, a setting of the other task (``score_threshold`` or ``classes`` for a
            segmenter, ``tta`` or ``plain`` for a detector), a class the model does not have,
            raised before anything is written.
        NotADirectoryError: ``out`` is a file.
        ConfigError: a bad override.
        CheckpointError: an unreadable checkpoint.
    """
    problem = score_threshold_problem(score_threshold, "score_threshold")
    if problem:
        raise ValueError(problem)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    names = _input_names(inputs)
    out = check_output_folder(out)
    predictor = load(checkpoint, device, overrides)
    check_task_settings(predictor, checkpoint, score_threshold, tta, plain, classes)
    predictor.labels_of(classes)  # a class the model does not have: before anything is written
    threshold = _configure(predictor, score_threshold, tta, plain)
    paths, videos, missing = split_inputs(names, out)
    out.mkdir(parents=True, exist_ok=True)
    run = PredictionRun(predictor.task, 0, out, score_threshold=threshold)
    report = _reporter(run, on_error)
    for item in missing:
        run.failed.append(item)
        report(missing_input_message(item))
    run.wrote_images = bool(paths) or not videos
    if run.wrote_images:
        positions: list[int] = []  # of each readable image in ``paths``, from 1
        images = _numbered_images(paths, positions, run.failed, report)
        inputs_there = names_in_folder(paths, out)  # --out the images' folder: not overwritten
        if predictor.task == "segmentation":
            run.images = segment_images(predictor, images, out, batch_size, inputs_there)
        else:
            assert threshold is not None
            run.images, run.detections = detect_images(
                predictor, images, out, threshold, batch_size, classes, positions, inputs_there
            )
        run.wrote_images = run.images > 0  # none read: nothing written, no "0 images" summary
    used: set[str] = set()
    for source in videos:
        stem = video_output_stem(source, out, used, videos)  # no input video written over
        try:
            run.videos.append(
                predict_video(predictor, source, out, threshold, max_frames, stem, classes)
            )
        except (ValueError, FileNotFoundError) as err:
            run.failed.append(source)
            report(str(err))
    return run


def _input_names(inputs: str | os.PathLike | Sequence[str | os.PathLike]) -> list[str]:
    """The inputs as strings; a single string or path is one input (not its characters)."""
    if isinstance(inputs, (str, os.PathLike)):
        return [os.fspath(inputs)]
    return [os.fspath(item) for item in inputs]


def _numbered_images(
    paths: Sequence[Path], positions: list[int], failed: list[str], report: Callable[[str], None]
) -> Iterator[InputImage]:
    """The readable images of ``paths``, read one at a time; the position (from 1) in ``paths``
    of each is appended to ``positions`` as it is yielded (an unreadable image keeps its
    position: the images after it keep theirs)."""
    for position, path in enumerate(paths, 1):
        for read_path, image in read_images([path], failed, report):
            positions.append(position)
            yield InputImage(image, read_path)


def _reporter(run: PredictionRun, on_error: Callable[[str], None] | None) -> Callable[[str], None]:
    """What reports an input's failure: its message kept in ``run.errors``, then given to
    ``on_error`` (default: logged as an error)."""

    def report(message: str) -> None:
        run.errors.append(message)
        if on_error is None:
            logger.error("%s", message)
        else:
            on_error(message)

    return report


def missing_input_message(item: str) -> str:
    """Why the command-line input ``item`` gave no image or video, and what to give instead."""
    if Path(item).is_dir():
        suffixes = " ".join(sorted(IMAGE_SUFFIXES))
        nested = _images_in_subfolders(Path(item))
        if nested:
            return (
                f"no image in folder {item} itself, but its subfolders hold {nested} image "
                "file(s) (folders are not searched recursively); give the pattern "
                f"'{Path(item) / '**' / '*'}' (quoted) or the subfolders"
            )
        return (
            f"no image in folder {item} (image files end in {suffixes}); give a folder of "
            "images, image files, video files or a glob pattern"
        )
    if glob.has_magic(item):
        return f"no file matches the pattern {item}; check the folder and the pattern"
    return (
        f"input not found: {item} (no such file or folder, and not a camera index or a stream "
        "URL); check the path"
    )


def _images_in_subfolders(folder: Path) -> int:
    """How many image files the subfolders of ``folder`` hold, at any depth."""
    return sum(
        1
        for path in folder.rglob("*")
        if path.suffix.lower() in IMAGE_SUFFIXES and path.parent != folder and path.is_file()
    )


def _configure(
    predictor: Predictor, score_threshold: float | None, tta: str | None, plain: bool
) -> float | None:
    """Set the segmentation chain (``tta``, ``plain``), or log a lowered detector threshold;
    the detection score threshold of the run (``None`` for a segmenter)."""
    if predictor.task == "segmentation":
        predictor.inference = SegmentationInference()  # plain: model.predict
        if not plain:
            predictor.inference = SegmentationInference.from_config(predictor.config.eval, tta)
        logger.info("segmentation inference: %s", predictor.inference.describe())
        return None
    threshold = predictor.score_threshold if score_threshold is None else score_threshold
    threshold += 0.0  # -0.0 (``--score-thr -0``) as 0.0: the log and the summary show 0
    own = cast(Detector, predictor.model).score_thresh
    if threshold < own:
        logger.info("model score threshold %g lowered to %g for this run", own, threshold)
    return threshold


def check_task_settings(
    predictor: Predictor,
    checkpoint: str | os.PathLike,
    score_threshold: float | None,
    tta: str | None,
    plain: bool,
    classes: Sequence[str | int] | None = None,
) -> None:
    """Refuse settings that the checkpoint's task would ignore: ``score_threshold``
    (``--score-thr``) or ``classes`` (``--classes``) for a segmenter, ``tta`` (``--tta``) or
    ``plain`` (``--plain``) for a detector.

    Raises:
        ValueError: naming the setting, the checkpoint, its model and task, and saying to
            drop the setting.
    """
    model = f"{checkpoint} is a {predictor.config.model.name} {predictor.task} checkpoint"
    if predictor.task == "segmentation" and score_threshold is not None:
        raise ValueError(
            f"--score-thr {score_threshold:g} is for detectors; {model}, which keeps "
            "every pixel's class: drop --score-thr"
        )
    if predictor.task == "segmentation" and classes is not None:
        raise ValueError(
            f"--classes is for detectors; {model}, which labels every pixel: drop --classes"
        )
    if predictor.task != "segmentation" and (tta is not None or plain):
        flag = f"--tta {tta}" if tta is not None else "--plain"
        raise ValueError(
            f"{flag} is for segmentation (test-time augmentation, CRF); {model}, "
            f"which has one plain forward pass: drop {flag.split()[0]}"
        )


def split_inputs(
    inputs: Sequence[str], out: Path | None = None
) -> tuple[list[Path], list[str], list[str]]:
    """``(image paths, videos, inputs naming nothing)`` of command-line inputs, in order.

    Camera indices and URLs are videos; everything else goes through
    :func:`~detseg.image_inputs.expand_inputs` (which skips the files under the output
    folder ``out`` when it lies inside a folder scanned), and the files it finds with a video
    suffix (:data:`~detseg.api.video.VIDEO_SUFFIXES`) are videos too.
    """
    videos = [item for item in inputs if is_camera(item) or is_url(item)]
    named = [item for item in inputs if item not in videos]
    media = {*IMAGE_SUFFIXES, *VIDEO_SUFFIXES}
    paths, missing = expand_inputs(named, media_suffixes=media, out=out)
    videos += [str(p) for p in paths if p.suffix.lower() in VIDEO_SUFFIXES]
    images = [p for p in paths if p.suffix.lower() not in VIDEO_SUFFIXES]
    return images, videos, missing


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
            ``x.jpg`` and ``x_1.png``).
        batch_size: images per forward pass (images of one size share one).
        taken: file names in ``out`` no overlay may take, case-folded (the input images
            there: :func:`~detseg.image_inputs.names_in_folder`).
    """
    used_names = set(taken)
    used_stems: set[str] = set()  # of the label maps, all .png
    count = 0
    for result in predictor.predict_images(images, batch_size=batch_size):
        result = cast(SegmentationResult, result)
        path = result.path or Path(f"image{count + 1}.png")
        name = output_name(path, used_names)
        while Path(name).stem.casefold() in used_stems:  # x.jpg after x.png: the next name
            name = output_name(path, used_names)
        used_stems.add(Path(name).stem.casefold())
        result.save(out / name)
        result.save_mask(out / "labels" / f"{Path(name).stem}.png")
        count += 1
        names = [result.names[int(k)] for k in result.mask.unique()]
        logger.info("%s: %s -> %s", path, ", ".join(names), out / name)
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
    """Write the drawn detections (and masks) of each image and ``out/predictions.json`` (not
    when ``images`` gives no image: nothing is written then; after Ctrl-C, it holds the images
    drawn so far, and the ``KeyboardInterrupt`` goes on).

    Args:
        predictor: a detector.
        images: the images, with their paths.
        out: output folder.
        score_threshold: detections scoring below it are dropped.
        batch_size: images per ``model.predict`` call.
        classes: keep the detections of these classes only (names or labels; default: all).
        image_ids: the ``image_id`` of each image, in order (read as the results come, so it
            may grow while ``images`` is read); default: ``1, 2, ...``.
        taken: file names in ``out`` no drawing may take, case-folded (the input images
            there: :func:`~detseg.image_inputs.names_in_folder`).

    Returns:
        ``(images, detections)``: how many of each were written.
    """
    records: list[dict] = []
    used_names = set(taken)
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
            result.save(out / name)
            for record in result.to_coco(image_id):
                records.append({**record, "file_name": str(path)})
            logger.info("%s: %d detections -> %s", path, len(result), out / name)
    except KeyboardInterrupt:  # Ctrl-C: the images drawn so far keep their records
        _write_predictions(out, records, count)
        logger.info(
            "stopped by Ctrl-C: %s holds the %d images done", out / "predictions.json", count
        )
        raise
    _write_predictions(out, records, count)
    return count, len(records)


def _write_predictions(out: Path, records: list[dict], images: int) -> None:
    """``out/predictions.json``: the COCO result ``records`` of ``images`` images; not written
    when no image was read (all unreadable: an earlier run's file is kept)."""
    if images:
        (out / "predictions.json").write_text(json.dumps(records, indent=1))
