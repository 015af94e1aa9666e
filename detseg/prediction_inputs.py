"""The command-line inputs of a prediction run: images, videos, and inputs naming nothing.

:func:`split_inputs` tells image files (files, folders, glob patterns:
:mod:`detseg.image_inputs`) from videos (video files, camera indices, stream URLs:
:mod:`detseg.api.video_names`); :func:`missing_input_message` says why an input gave neither and
what to give instead. Naming the inputs is apart from running the model on them
(:mod:`detseg.predict_images`).
"""

from __future__ import annotations

import glob
import logging
from collections.abc import Sequence
from pathlib import Path

from detseg.api.video_names import (
    VIDEO_SUFFIXES,
    folder_pattern,
    is_camera,
    is_url,
    named_videos,
    videos_in_folder,
)
from detseg.data.image_io import IMAGE_SUFFIXES
from detseg.image_inputs import blank_path_message, expand_inputs, is_blank

logger = logging.getLogger(__name__)


def split_inputs(
    inputs: Sequence[str], out: Path | None = None
) -> tuple[list[Path], list[str], list[str]]:
    """``(image paths, videos, inputs naming nothing)`` of command-line inputs, in order.

    Camera indices and URLs are videos; everything else goes through
    :func:`~detseg.image_inputs.expand_inputs` (which skips the files under the output
    folder ``out`` when it lies inside a folder scanned), and the files it finds with a video
    suffix (:data:`~detseg.api.video_names.VIDEO_SUFFIXES`) are videos too. A folder gives
    its images only: one that also holds videos gets a warning naming them and the pattern
    that gives them (``clips/*``). A video that a pattern finds under ``out`` with its
    ``<stem>.jsonl`` beside it is an earlier run's output (:func:`_earlier_outputs`), skipped
    with one info line: with ``--out`` the videos' own folder, each run would otherwise read
    the last one's drawn videos and write them again under new names (they are read when
    the run has nothing else to read).
    """
    videos = [item for item in inputs if is_camera(item) or is_url(item)]
    named = [item for item in inputs if item not in videos]
    media = {*IMAGE_SUFFIXES, *VIDEO_SUFFIXES}
    paths, missing = expand_inputs(named, media_suffixes=media, out=out)
    for item in named:
        if item not in missing and Path(item).expanduser().is_dir():
            _warn_of_skipped_videos(item)
    found = [p for p in paths if p.suffix.lower() in VIDEO_SUFFIXES]
    images = [p for p in paths if p.suffix.lower() not in VIDEO_SUFFIXES]
    earlier = _earlier_outputs(found, named, out)
    if len(earlier) == len(found) and not (images or videos or missing):
        earlier = set()  # nothing else to read: the videos are what the run was given
    _log_skipped(earlier, out)
    videos += [str(p) for p in found if p not in earlier]
    return images, videos, missing


def _earlier_outputs(videos: Sequence[Path], named: Sequence[str], out: Path | None) -> set[Path]:
    """The ``.mp4`` ``videos`` found by a pattern (not named as files) under ``out`` with
    their ``<stem>.jsonl`` beside them: the drawn videos of an earlier run into ``out``
    (:func:`~detseg.api.video_outputs.predict_video` writes the two together)."""
    if out is None or not out.is_dir():
        return set()
    folder = out.resolve()
    named_files = [Path(item).expanduser() for item in named]
    given = {path.resolve() for path in named_files if path.is_file()}
    earlier = {
        path
        for path in videos
        if path.suffix == ".mp4"  # what predict_video writes: a user's clip.avi is read
        and path.resolve().is_relative_to(folder)
        and path.resolve() not in given
        and path.with_suffix(".jsonl").is_file()
    }
    return earlier


def _log_skipped(earlier: set[Path], out: Path | None) -> None:
    """One info line naming the skipped videos of an earlier run, if any."""
    if earlier:
        logger.info(
            "skipped %s under the output folder %s: each has its .jsonl beside it (an earlier "
            "run's outputs; name a video as a file to read it)",
            named_videos(sorted(earlier)),
            out,
        )


def missing_input_message(item: str) -> str:
    """Why the command-line input ``item`` gave no image or video, and what to give instead."""
    if is_blank(item):  # not the current folder
        return blank_path_message(item, "an image or video file, a folder or a glob pattern")
    folder = Path(item).expanduser()  # "~/photos": under the home folder
    if folder.is_dir():
        suffixes = " ".join(sorted(IMAGE_SUFFIXES))
        folder_videos = videos_in_folder(folder)
        if folder_videos:
            return (
                f"no image in folder {item}, but it holds {named_videos(folder_videos)}: a "
                f"folder gives its images only; give the pattern '{folder_pattern(item)}' "
                "(quoted) for its images and videos, or the videos by name"
            )
        nested = _images_in_subfolders(folder)
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


def _warn_of_skipped_videos(item: str) -> None:
    """Warn that the folder ``item``, which gave images, holds videos that are not read; an
    ``.mp4`` with its ``.jsonl`` beside it, what a run draws there with ``--out`` that folder,
    is left out of the warning (a pattern leaves such videos out only under ``--out``)."""
    folder_videos = [
        video
        for video in videos_in_folder(Path(item).expanduser())
        if not (video.suffix == ".mp4" and video.with_suffix(".jsonl").is_file())
    ]
    if folder_videos:
        logger.warning(
            "folder %s holds %s, not read: a folder gives its images only; give the pattern "
            "'%s' (quoted) for its images and videos, or the videos by name",
            item,
            named_videos(folder_videos),
            folder_pattern(item),
        )
