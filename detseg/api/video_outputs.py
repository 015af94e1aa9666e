"""A predictor run over a video, written as an annotated video and one JSON line per frame.

:func:`predict_video` writes, for a source named ``<stem>`` (see
:func:`~detseg.api.video_names.source_stem`):

* ``OUT/<stem>.mp4``: every frame with its detections drawn (and their instance masks, for a
  model with masks; a segmenter: its classes blended in, and a legend of every class on the
  right, those absent from the frame in grey), at the source's frame rate; a frame of odd
  width or height gets one black column on the right or row at the bottom (the codec stores
  even sides only: :class:`~detseg.api.video.VideoWriter`), its pixels where they were;
* ``OUT/<stem>.jsonl``: one record per frame, ``{"frame": index from 0, "time": seconds,
  "detections": [{"category_id", "bbox": [x, y, w, h] pixels, "score", "category_name"},
  ...]}``, each detection named as the records of an image's ``predictions.json`` (COCO
  results: ``DetectionResult.to_coco`` and the class name), the frame standing for their
  ``image_id`` and ``file_name``; a model with masks adds ``"area"`` (the mask's pixels) to
  each detection: the masks themselves stay out of the per-frame lines (``Predictor.stream``
  and ``DetectionResult.to_coco`` give them as RLE); a segmenter's records hold
  ``"classes": {name: share of the pixels}`` instead.

A source whose frame size changes on the way (a stream switching resolution) keeps the first
frame's size in ``OUT/<stem>.mp4``: each frame of another size is drawn scaled to fit it,
keeping its aspect ratio, with black borders (one warning says so); the records keep the
pixels of each frame as it came.

A camera or a stream runs until it ends, ``max_frames`` or Ctrl-C (which ends it cleanly: the
files hold the frames so far). Ctrl-C during a video file closes its two files likewise (the
``.mp4`` plays, with the frames so far; an INFO line says how many), then ends the run. A
progress bar (frames and frames per second) is shown while stderr is a terminal.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

import cv2
import numpy as np
from tqdm import tqdm

from detseg.api.prediction_checks import plain_number
from detseg.api.predictor import Predictor, Result
from detseg.api.results import DetectionResult
from detseg.api.video import VideoSource, VideoWriter
from detseg.api.video_names import VideoName, source_stem
from detseg.api.video_streams import STREAM_TIMEOUT
from detseg.argument_checks import check_at_least_one, score_threshold_problem
from detseg.visualize.output_files import refuse_tool_outputs

__all__ = ["VideoRun", "count", "frame_record", "predict_video", "video_output_stem"]

logger = logging.getLogger(__name__)


@dataclass
class VideoRun:
    """What :func:`predict_video` wrote.

    Attributes:
        source: the video file, camera index or URL.
        frames: frames processed.
        detections: detections over all frames (a segmenter: 0).
        video: the annotated video file.
        records: the JSON-lines file.
        task: the predictor's task, ``"detection"`` or ``"segmentation"`` (no detection
            count in the summary).
        fitted_frames: frames of another size than the first (a stream switching
            resolution), drawn scaled to fit the video.
    """

    source: str
    frames: int
    detections: int
    video: Path
    records: Path
    task: str = "detection"
    fitted_frames: int = 0

    def summary(self) -> str:
        """One line: the source, what was found, where it was written."""
        found = count(self.frames, "frame")
        if self.task != "segmentation":  # every detector's line counts them, 0 too
            found += f", {count(self.detections, 'detection')}"
        return f"{self.source}: {found} -> {self.video}, {self.records}"


def count(number: int, noun: str) -> str:
    """``"1 frame"``, ``"0 frames"``, ``"2 frames"``: ``number`` and ``noun``, plural but
    for 1."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def predict_video(
    predictor: Predictor,
    source: VideoName | VideoSource,
    out: str | os.PathLike,
    score_thr: float | None = None,
    max_frames: int | None = None,
    stem: str | None = None,
    classes: Sequence[str | int] | None = None,
    stream_timeout: float = STREAM_TIMEOUT,
) -> VideoRun:
    """Run ``predictor`` on each frame of ``source``; write ``OUT/<stem>.mp4`` and ``.jsonl``.

    Args:
        predictor: the model.
        source: a video file, a camera index, a stream URL, or an open :class:`VideoSource`.
        out: output folder (created).
        score_thr: as in :meth:`Predictor.predict`.
        max_frames: stop after this many frames, at least 1 (a camera or a stream otherwise
            runs until it ends; Ctrl-C then ends it, and the files hold the frames so far).
        stem: the output file names' stem (default: :func:`~detseg.api.video_names.source_stem`).
        classes: as in :meth:`Predictor.predict`.
        stream_timeout: seconds a stream URL may take to open and to give each frame, as in
            :meth:`Predictor.stream`.

    The run's :meth:`VideoRun.summary` is logged at ``DEBUG`` level only: the caller reports
    it (``tools/infer.py`` prints it once, with the other inputs' summaries).

    Raises:
        FileNotFoundError: a video file that does not exist.
        ValueError: a video that cannot be decoded, a camera or stream that cannot be opened,
            ``score_thr`` outside ``[0, 1]`` or given to a segmenter, ``max_frames`` below 1
            or not an integer, a class the model does not have, a folder, a FIFO, a device
            or a link loop where an output file goes (all before any file is written).
        FileNotFoundError: an output file is a link into a folder that does not exist.
        PermissionError: a read-only file where an output file goes (before any file is
            written; :func:`~detseg.visualize.output_files.refuse_tool_outputs`).
        OSError: the annotated video cannot be opened for writing.
    """
    if max_frames is not None:
        check_at_least_one(max_frames, "max_frames")
    score_thr = plain_number(score_thr)  # a 0-d tensor or numpy array: its number
    problem = score_threshold_problem(score_thr, "score_thr")
    if problem:
        raise ValueError(problem)
    predictor.labels_of(classes)
    video = source if isinstance(source, VideoSource) else VideoSource(source, stream_timeout)
    try:  # the predictor's checks of the arguments, before the files are opened
        results = predictor.stream(video, score_thr, max_frames, classes)
    except ValueError:
        video.close()
        raise
    out = Path(out)
    stem = stem or source_stem(video.source)
    run = VideoRun(
        video.name, 0, 0, out / f"{stem}.mp4", out / f"{stem}.jsonl", task=predictor.task
    )
    try:  # a folder, FIFO, device, link loop or read-only file: before either is written
        refuse_tool_outputs((run.video, run.records), f"the outputs of {video.name}")
    except (ValueError, OSError):
        video.close()
        raise
    out.mkdir(parents=True, exist_ok=True)
    total = video.frame_count
    if max_frames is not None:
        total = max_frames if total is None else min(total, max_frames)
    with (
        video,
        VideoWriter(run.video, video.fps) as writer,
        run.records.open("w", encoding="utf-8") as records,
        tqdm(total=total, desc=stem, unit="frame", dynamic_ncols=True, disable=None) as bar,
    ):
        try:
            for result in results:
                if _write_frame(result, writer, records):
                    if not run.fitted_frames:
                        _warn_size_change(video.name, result, writer, run.records)
                    run.fitted_frames += 1
                run.frames += 1
                run.detections += len(result) if isinstance(result, DetectionResult) else 0
                bar.update()
        except KeyboardInterrupt:  # the files are closed, complete, as the block ends
            held = f"; {run.video} and {run.records} hold them" if run.frames else ""
            logger.info(
                "%s: stopped by Ctrl-C after %s%s", video.name, count(run.frames, "frame"), held
            )
            if not video.live:  # a file stops the run; a camera or a stream ends its own
                raise
    logger.debug("%s", run.summary())
    return run


def _write_frame(result: Result, writer: VideoWriter, records: TextIO) -> bool:
    """Append the drawn frame to the video and its record to the JSON lines; whether the
    drawing was of another size than the video's frames, and scaled to fit (:func:`_fitted`)."""
    if isinstance(result, DetectionResult):
        drawn = result.plot()
    else:
        # every class in the legend (absent ones grey): one frame size for the whole video
        drawn = result.plot(legend="all")
    size = writer.frame_size
    fitted = size is not None and size != (drawn.shape[1], drawn.shape[0])
    writer.write(_fitted(drawn, size) if size is not None and fitted else drawn)
    records.write(json.dumps(frame_record(result)) + "\n")
    records.flush()
    return fitted


def _warn_size_change(source: str, result: Result, writer: VideoWriter, records: Path) -> None:
    """Say, once a run, that the frames of ``source`` changed size and are scaled to fit."""
    height, width = result.image.shape[:2]
    video_w, video_h = writer.frame_size or (0, 0)
    logger.warning(
        "%s: frame %s is %dx%d, not the size of the frames before it; %s keeps its frames "
        "%dx%d: the drawings of frames of another size are scaled to fit, with black borders "
        "(%s records each frame in its own pixels)",
        source,
        result.frame,
        width,
        height,
        writer.path.name,
        video_w,
        video_h,
        records.name,
    )


def _fitted(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``uint8 [H, W, 3]`` ``image`` scaled to fit ``size`` (``(width, height)``) keeping its
    aspect ratio, centred on black."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    new_w = min(width, max(1, round(image.shape[1] * scale)))
    new_h = min(height, max(1, round(image.shape[0] * scale)))
    scaled = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = scaled
    return canvas


def frame_record(result: Result) -> dict[str, Any]:
    """The JSON record of one frame's result (see the module docstring)."""
    record: dict[str, Any] = {"frame": result.frame, "time": round(result.time or 0.0, 4)}
    if isinstance(result, DetectionResult):
        boxes_only = replace(result, masks=None, mask_probabilities=None)  # no RLE to drop
        detections = [
            {**{k: v for k, v in found.items() if k != "image_id"}, "category_name": name}
            for found, name in zip(boxes_only.to_coco(), result.names, strict=True)
        ]
        areas = result.mask_areas
        if areas is not None:
            for detection, area in zip(detections, areas.tolist(), strict=True):
                detection["area"] = int(area)
        record["detections"] = detections
    else:
        record["classes"] = result.to_dict()["classes"]
    return record


def video_output_stem(
    source: VideoName, out: Path, used: set[str], inputs: Iterable[VideoName] = ()
) -> str:
    """The outputs' stem of ``source``: unique within ``used`` (case-folded, as one file on
    Windows and macOS; the stem is added to it), and never the name of an input video
    (``source`` itself, or one of ``inputs``, when ``out`` is its folder: written over, it
    would be lost before it is read)."""
    base = source_stem(source)
    videos = [source, *inputs]
    stem, n = base, 1
    while stem.casefold() in used or any(_is_source(out / f"{stem}.mp4", v) for v in videos):
        stem, n = f"{base}_{n}", n + 1
    used.add(stem.casefold())
    return stem


def _is_source(path: Path, source: VideoName) -> bool:
    """``path`` is the file ``source`` names: by a link, or by a name differing in case only
    (one file on Windows and macOS: ``CLIP.mp4`` for ``CLIP.MP4``)."""
    if isinstance(source, int) or not path.exists():
        return False
    source_path = Path(source)
    return source_path.exists() and path.samefile(source_path)
