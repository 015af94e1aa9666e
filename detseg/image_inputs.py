"""Image files named on a command line: files, folders and glob patterns, read in batches.

:func:`expand_inputs` turns the names into image paths (a glob pattern through
:func:`pattern_files`, which ``Predictor.predict`` and ``Predictor.stream`` expand theirs with
too), :func:`read_images` reads them (as displayed: EXIF orientation applied; skipping and
recording the unreadable ones),
:func:`batched` groups them, and :func:`output_name` gives each a unique file name in an output
folder (never that of an input there: :func:`names_in_folder`).
"""

from __future__ import annotations

import glob
import itertools
import logging
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import torch

from detseg.data.image_io import IMAGE_SUFFIXES, ImageReadError, is_image_name, read_image

logger = logging.getLogger(__name__)


T = TypeVar("T")


def expand_inputs(
    inputs: Iterable[str],
    media_suffixes: Collection[str] = IMAGE_SUFFIXES,
    out: Path | None = None,
) -> tuple[list[Path], list[str]]:
    """Image paths named by files, folders and globs (in order), and the inputs matching none.

    A leading ``~`` is the home folder. A folder gives its images (files with a suffix of
    :data:`IMAGE_SUFFIXES`), sorted; an existing file is taken as it is; anything else is a
    glob pattern: its files, sorted, as :func:`pattern_files` finds them (``**`` for any depth
    of subfolders; ``shots [1]/*.jpg`` in the folder ``shots [1]``). A pattern matching files
    with ``media_suffixes`` (lower case) gives those only (``data/**/*`` skips the annotation
    files beside the images); one matching no such file gives all its files, to be reported
    as unreadable.

    ``out`` (the output folder) inside a folder scanned or a pattern's leading folder: the
    files under ``out`` that the scan or pattern finds are skipped (an earlier run's
    drawings are no inputs), with one info line counting them; ``out`` that is the folder
    itself is not skipped (its images are the inputs). A file named as it is is kept.
    """
    paths: list[Path] = []
    missing: list[str] = []
    skipped = 0
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            found = folder_images(path)
        elif path.exists():
            found = [path]
        else:
            found = _media_first(pattern_files(item), media_suffixes)
        if path.is_dir() or not path.exists():  # a scan or a pattern, not a file named
            scanned = path if path.is_dir() else _leading_folder(str(path))
            kept = _outside_output(found, out, scanned)
            skipped, found = skipped + len(found) - len(kept), kept
        if not found:
            missing.append(item)
        paths.extend(found)
    if skipped:
        logger.info(
            "skipped %d file%s under the output folder %s (an earlier run's outputs)",
            skipped,
            "" if skipped == 1 else "s",
            out,
        )
    return paths, missing


def is_glob_pattern(name: str) -> bool:
    """Whether ``name`` is a glob pattern (``*``, ``?`` or ``[``) and no existing file's name
    (a file named ``shots [1].jpg`` is that file, not a pattern); a leading ``~`` is the home
    folder."""
    return glob.has_magic(name) and not Path(name).expanduser().exists()


def pattern_files(pattern: str) -> list[Path]:
    """The files matching the glob ``pattern``, sorted (by path text), folders left out.

    A leading ``~`` is the home folder (``~/photos/*.jpg``); ``**`` matches any depth of
    subfolders (``photos/**/*.jpg``), as a shell's ``globstar`` does. A pattern that matches
    nothing is tried again with its leading existing folders taken literally: in
    ``shots [1]/*.jpg``, ``[1]`` is a character class (matching ``shots 1`` only), but the
    folder ``shots [1]`` holds the images meant. Every file is given, whatever its suffix:
    callers keep the kinds they take (:func:`expand_inputs`, ``Predictor.predict``: images,
    ``Predictor.stream``: images and videos) and name the pattern in their own errors.
    """
    expanded = os.path.expanduser(pattern)
    matches = glob.glob(expanded, recursive=True) or _literal_folder_matches(expanded)
    return [Path(match) for match in sorted(matches) if Path(match).is_file()]


def folder_images(folder: Path) -> list[Path]:
    """The image files of ``folder`` (:func:`~detseg.data.image_io.is_image_name`: no hidden
    file; a broken link too, to be reported unreadable), sorted, without its subfolders."""
    return sorted(p for p in folder.iterdir() if is_image_name(p) and not p.is_dir())


def _leading_folder(pattern: str) -> Path:
    """The folder a glob pattern searches: its leading parts without a wildcard."""
    literal: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if glob.has_magic(part):
            break
        literal.append(part)
    return Path(*literal) if literal else Path(".")


def _outside_output(found: list[Path], out: Path | None, scanned: Path) -> list[Path]:
    """The ``found`` files (of a scan of the folder ``scanned``) not under ``out``: all of
    them when there is no ``out``, or ``out`` is ``scanned`` itself or not inside it."""
    if out is None or not out.is_dir():
        return found
    out, scanned = out.resolve(), scanned.resolve()
    if out == scanned or not out.is_relative_to(scanned):
        return found
    return [path for path in found if not path.resolve().is_relative_to(out)]


def _literal_folder_matches(pattern: str) -> list[str]:
    """The files of ``pattern`` read with its leading existing folders taken literally: in
    ``shots [1]/*.jpg``, ``[1]`` is a character class matching ``shots 1`` only, but the
    folder ``shots [1]`` holds the images meant (``[]`` for nothing when no folder of such a
    name exists)."""
    parts = Path(pattern).parts
    folders = 0
    while folders < len(parts) - 1 and Path(*parts[: folders + 1]).is_dir():
        folders += 1
    if not folders or not any(glob.has_magic(part) for part in parts[:folders]):
        return []
    literal = [glob.escape(part) for part in parts[:folders]]
    return glob.glob(str(Path(*literal, *parts[folders:])), recursive=True)


def _media_first(files: list[Path], media_suffixes: Collection[str]) -> list[Path]:
    """The ``files`` with one of ``media_suffixes``, or all of them when none has one."""
    media = [path for path in files if path.suffix.lower() in media_suffixes]
    return media or files


def read_images(
    paths: Iterable[Path], failed: list[str], report: Callable[[str], None] | None = None
) -> Iterator[tuple[Path, torch.Tensor]]:
    """``(path, image Float[3, H, W] in [0, 1])`` for each readable path, read one at a time.

    A JPEG is read as its EXIF orientation displays it (a phone photo tagged as rotated comes
    upright, as image viewers show it; boxes and masks predicted on it refer to that view).
    A path that cannot be read is appended to ``failed`` and its error message (naming it and
    saying why) given to ``report`` (default: logged as an error); the paths after it are still
    read.
    """
    for path in paths:
        try:
            yield path, read_image(path, apply_exif_orientation=True)
        except ImageReadError as err:
            failed.append(str(path))
            (report or _log_error)(str(err))


def _log_error(message: str) -> None:
    logger.error("%s", message)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` consecutive items; the last one may be shorter. No item of a batch is
    held here once the next batch is being taken (decoded images are freed a batch at a time)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
        del batch


def output_name(path: Path, used: set[str]) -> str:
    """``path``'s file name (``.png`` for unusual suffixes), made unique within ``used``.

    ``used`` holds the names given so far case-folded (``x.JPG`` and ``x.jpg`` are one file on
    Windows and macOS); the name is added to it. A name already there gets ``_1``, ``_2``, ...
    appended to its stem.
    """
    suffix = path.suffix.lower() if path.suffix.lower() in IMAGE_SUFFIXES else ".png"
    name, n = f"{path.stem}{suffix}", 1
    while name.casefold() in used:
        name, n = f"{path.stem}_{n}{suffix}", n + 1
    used.add(name.casefold())
    return name


def names_in_folder(paths: Iterable[Path], folder: Path) -> set[str]:
    """The file names of the ``paths`` that ``folder`` holds (the file itself, or a link to it),
    case-folded as :func:`output_name` keeps them: given as its ``used``, no output written into
    ``folder`` replaces an input."""
    return {
        path.name.casefold()
        for path in paths
        if (folder / path.name).exists() and (folder / path.name).samefile(path)
    }
