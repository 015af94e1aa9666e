"""Run a checkpoint on image files and videos and write what it finds, drawn and as data.

The model runs through :class:`detseg.api.Predictor` (``detseg.load``); this module names the
inputs and writes the files.

A detector gives, for each readable image, ``OUT/<name>`` with boxes, class names and scores
drawn (one colour per class), and ``OUT/predictions.json``: every detection at or above the
score threshold in the COCO results format (``image_id`` is the position of the image in the
input list, from 1; ``category_id`` the dataset's id) plus ``category_name`` (the class's
name) and ``file_name``. A detector with
instance masks (Mask R-CNN) also draws each mask (translucent, outlined, in its class colour)
and gives each record its ``segmentation``, the mask as COCO compressed RLE.

A segmenter gives ``OUT/<name>``: the image with one colour per class blended in and a legend
(class names and colours) on its right, and ``OUT/labels/<stem>.png``: the predicted label map
as an 8-bit palette PNG (0 background, ``k`` the k-th class of the checkpoint), made as the
checkpoint config's ``eval.tta``, ``eval.tta_scales`` and ``eval.crf`` say (``plain``: one
forward pass).

``<name>`` is the image's file name (``.png`` for other suffixes), with ``_1``, ``_2`` ...
after its stem where names repeat or ``OUT`` holds an input image of that name (an input is
never written over).

A video file (by suffix, :data:`detseg.api.video_names.VIDEO_SUFFIXES`), a camera index (``"0"``)
or a stream URL (``rtsp://``, ``http://`` ...) gives ``OUT/<stem>.mp4``, the frames drawn as
above at the source's frame rate, and ``OUT/<stem>.jsonl``, one record per frame (see
:mod:`detseg.api.video_outputs`).

Inputs that name nothing, and images or videos that cannot be read, are reported by name, one
message each saying why (:attr:`PredictionRun.errors`); the others are processed.

The inputs are sorted into images and videos by :mod:`detseg.prediction_inputs`; the image
files are written by :mod:`detseg.api.image_outputs`, the video files by
:mod:`detseg.api.video_outputs`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from detseg.api.image_outputs import detect_images, segment_images
from detseg.api.inputs import InputImage
from detseg.api.predictor import Predictor, load
from detseg.api.video_names import VIDEO_SUFFIXES
from detseg.api.video_outputs import VideoRun, count, predict_video, video_output_stem
from detseg.api.video_streams import STREAM_TIMEOUT
from detseg.argument_checks import (
    check_at_least_one,
    check_output_folder,
    check_score_threshold,
)
from detseg.data.image_io import IMAGE_SUFFIXES
from detseg.engine.runtime import Detector
from detseg.image_inputs import names_in_folder, read_images
from detseg.named_settings import SettingError, settings_named
from detseg.prediction_inputs import missing_input_message, split_inputs
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

    def summary(self, exit_code: int | None = None) -> str:
        """What was processed and where the results are: a line per video, then the images,
        the last line ending with the count of :attr:`failed` inputs (``"; 1 input failed
        (see the errors above)"``) when there are any. Empty when nothing was processed.

        Args:
            exit_code: the exit code the failed inputs give the command (``tools/infer.py``:
                2), named after their count; ``None`` names none.
        """
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
        if lines and self.failed:
            lines[-1] += f"; {count(len(self.failed), 'input')} failed (see the errors above)"
            if exit_code is not None:
                lines[-1] += f", hence exit code {exit_code}"
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
    stream_timeout: float = STREAM_TIMEOUT,
    flags: Mapping[str, str] | None = None,
) -> PredictionRun:
    """Run ``checkpoint`` on the images and videos named by ``inputs``; write into ``out``.

    Args:
        checkpoint: a ``best.pt`` / ``last.pt`` written by training.
        inputs: image files, folders or glob patterns (see
            :func:`detseg.image_inputs.expand_inputs`), video files, camera indices
            (``"0"``) and stream URLs, as strings or paths; one string or path is one input.
        out: output folder (created; removed again, with the folders made above it, when
            nothing was written in it because every input failed).
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
            read, or a video whose output may not be written (a folder or a read-only file at
            ``OUT/<stem>.mp4`` or ``.jsonl``), as it fails (default: the message is logged as
            an error); the other inputs go on. The messages are also in
            :attr:`PredictionRun.errors`.
        classes: detection only: keep the detections of these classes (names or labels
            ``1..K``; default: every class).
        stream_timeout: seconds a stream URL may take to open and to give each frame
            (:class:`~detseg.api.video.VideoSource`).
        flags: how the messages name the settings of this call that they name: a tool's
            flag for each keyword (``{"stream_timeout": "--stream-timeout", "out": "--out"}``:
            the tool's user typed no keyword); default: the keywords (``out``, ``tta``; an
            input's message by :class:`~detseg.named_settings.SettingError`).

    Raises:
        ValueError: ``batch_size`` or ``max_frames`` below 1, ``score_threshold`` outside
            ``[0, 1]``, a setting of the other task (``score_threshold`` or ``classes`` for a
            segmenter, ``tta`` or ``plain`` for a detector), a class the model does not have,
            raised before anything is written.
        NotADirectoryError: ``out`` is a file.
        ValueError: ``out`` does not exist and is named like an output file
            (:func:`check_not_a_file_name`).
        ConfigError: a bad override.
        CheckpointError: an unreadable checkpoint.
    """
    score_threshold = check_score_threshold(score_threshold, "score_threshold")
    check_at_least_one(batch_size, "batch_size")
    if max_frames is not None:
        check_at_least_one(max_frames, "max_frames")
    names = _input_names(inputs)
    named = flags or {}
    out = check_output_folder(out, named.get("out", "out"))
    check_not_a_file_name(out, named.get("out", "out"))
    predictor = load(checkpoint, device, overrides)
    check_task_settings(predictor, checkpoint, score_threshold, tta, plain, classes, named)
    predictor.labels_of(classes)  # a class the model does not have: before anything is written
    threshold = _configure(predictor, score_threshold, tta, plain)
    paths, videos, missing = split_inputs(names, out)
    made = [folder for folder in (out, *out.parents) if not folder.exists()]
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
                predict_video(
                    predictor, source, out, threshold, max_frames, stem, classes, stream_timeout
                )
            )
        except (ValueError, FileNotFoundError, PermissionError) as err:  # a read-only output
            run.failed.append(source)
            report(err.naming(named) if isinstance(err, SettingError) else str(err))
    _remove_empty_folders(made)  # every input failed: no empty output folder is left
    return run


def _remove_empty_folders(folders: Sequence[Path]) -> None:
    """Remove ``folders`` (deepest first: the output folder and the ones made above it) that
    are empty; stop at the first that is not."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (something was written), or gone
            return


#: Suffixes of the files a run writes (drawn images, videos, records): an output folder that
#: does not exist yet and ends in one of them is a file name given for the folder.
_OUTPUT_FILE_SUFFIXES = frozenset({*IMAGE_SUFFIXES, *VIDEO_SUFFIXES, ".json", ".jsonl"})


def check_not_a_file_name(out: Path, name: str = "--out") -> None:
    """Refuse an output folder that does not exist yet and is named like one of the files a run
    writes (``--out annotated.mp4``, ``--out result.png``, ``--out predictions.json``): it
    would become a folder of that name holding the outputs. An existing folder of any name is
    taken. ``name``: the setting as the caller gave it (``out`` from Python).

    Raises:
        ValueError: naming ``out``, what would be written in it, and what to give.
    """
    suffix = out.suffix.lower()
    if out.exists() or suffix not in _OUTPUT_FILE_SUFFIXES:
        return
    raise ValueError(
        f"{name} {out} is named like a {suffix} file, but {name} is the output folder: each "
        "input's outputs are written in it under the input's name (clip.mp4 gives "
        "OUT/clip.mp4 and OUT/clip.jsonl, photo.jpg gives OUT/photo.jpg); give a folder, "
        f"e.g. {_setting(name, out.with_suffix(''))}"
    )


def _setting(name: str, path: Path) -> str:
    """``--out 'my runs/clip'`` (a flag, and the path as one shell word) or ``out='my
    runs/clip'`` (a keyword, and the path as Python writes it), as every named setting is
    written (:func:`~detseg.named_settings.settings_named`)."""
    flags = {name: name} if name.startswith("-") else {}
    return settings_named(f"{{{name}}}", {name: str(path)}, flags)


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
    flags: Mapping[str, str] | None = None,
) -> None:
    """Refuse settings that the checkpoint's task would ignore: ``score_threshold``
    (``--score-thr``) or ``classes`` (``--classes``) for a segmenter, ``tta`` (``--tta``) or
    ``plain`` (``--plain``) for a detector. Each is named as ``flags`` maps its keyword (a
    tool's flag), else by the keyword itself (``score_threshold 0.5``, ``drop tta``).

    Raises:
        ValueError: naming the setting, the checkpoint, its model and task, and saying to
            drop the setting.
    """
    model = f"{checkpoint} is a {predictor.config.model.name} {predictor.task} checkpoint"

    def name(keyword: str) -> str:
        return (flags or {}).get(keyword, keyword)

    if predictor.task == "segmentation" and score_threshold is not None:
        given = name("score_threshold")
        raise ValueError(
            f"{given} {score_threshold:g} is for detectors; {model}, which keeps "
            f"every pixel's class: drop {given}"
        )
    if predictor.task == "segmentation" and classes is not None:
        given = name("classes")
        raise ValueError(
            f"{given} is for detectors; {model}, which labels every pixel: drop {given}"
        )
    if predictor.task != "segmentation" and (tta is not None or plain):
        given = name("tta") if tta is not None else name("plain")
        setting = f"{given} {tta}" if tta is not None else given
        raise ValueError(
            f"{setting} is for segmentation (test-time augmentation, CRF); {model}, "
            f"which has one plain forward pass: drop {given}"
        )
