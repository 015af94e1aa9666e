"""Image files named on a command line: files, folders and glob patterns, read in batches.

:func:`expand_inputs` turns the names into image paths (a glob pattern through
:func:`pattern_files`, which ``Predictor.predict`` and ``Predictor.stream`` expand theirs with
too), :func:`read_images` reads them (as displayed: EXIF orientation applied; skipping and
recording the unreadable ones),
:func:`batched` groups them, and :func:`output_name` gives each a unique file name in an output
folder (never that of an input there: :func:`names_in_folder`). The files a run writes beside
input images there are listed in the folder's :data:`OUTPUTS_LIST` (:func:`list_outputs`), so
that a later run whose input folder is that output folder does not read them as inputs
(:func:`listed_outputs`).
"""

from __future__ import annotations

import glob
import itertools
import json
import logging
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import torch

from detseg.data.image_io import IMAGE_SUFFIXES, ImageReadError, is_image_name, read_image

logger = logging.getLogger(__name__)


T = TypeVar("T")

#: The file in an output folder that lists the images prediction runs wrote there: a JSON list
#: of their paths relative to the folder, ``/``-separated (``["a_1.png", "labels/a_1.png"]``).
#: Hidden, so that no folder scan or pattern reads it.
OUTPUTS_LIST = ".detseg-outputs.json"


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
    itself is not skipped (its images are the inputs). A scan or pattern also skips the files
    that earlier runs wrote beside their input images, as the :data:`OUTPUTS_LIST` of the
    folder scanned (or the pattern's leading folder) or of ``out`` lists them
    (:func:`listed_outputs`), with one info line counting them. A file named as it is is
    kept. A blank name (``""``, ``" "``: :func:`is_blank`) names nothing (not the current
    folder, which ``Path("")`` is): it is among the inputs matching none.
    """
    paths: list[Path] = []
    missing: list[str] = []
    skipped = 0
    lists: dict[Path, set[Path]] = {}  # the OUTPUTS_LIST of each folder read once
    earlier = 0
    for item in inputs:
        if is_blank(item):
            missing.append(item)
            continue
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
            written: set[Path] = set()
            for folder in [scanned] if out is None else [scanned, out]:
                if folder not in lists:
                    lists[folder] = listed_outputs(folder)
                written |= lists[folder]
            kept = [path for path in found if path.resolve() not in written]
            earlier, found = earlier + len(found) - len(kept), kept
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
    if earlier:
        logger.info(
            "skipped %d file%s that earlier runs drew beside their input images (listed in "
            "the %s of their folder)",
            earlier,
            "" if earlier == 1 else "s",
            OUTPUTS_LIST,
        )
    return paths, missing


def is_blank(name: object) -> bool:
    """``name`` is a string that is empty or whitespace only: no path, though ``Path("")`` is
    the current folder (whose images it would otherwise give)."""
    return isinstance(name, str) and not name.strip()


def blank_path_message(name: str, kinds: str = "an image file, a folder or a glob pattern") -> str:
    """The one line refusing the blank path ``name`` (:func:`is_blank`), saying to give one
    of ``kinds`` instead."""
    return f"an empty path {name!r}; give {kinds}"


def listed_outputs(out: Path) -> set[Path]:
    """The files (resolved) that prediction runs wrote in the folder ``out``, as its
    :data:`OUTPUTS_LIST` lists them; none when there is no list. A list that cannot be read or
    is no JSON list of names is named in one warning and read as empty."""
    try:
        names = _listed_names(out)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        logger.warning(
            "cannot read %s (%s): the files earlier runs wrote in %s are read as inputs where a "
            "folder or pattern finds them; the next run that writes images there replaces it",
            out / OUTPUTS_LIST,
            err,
            out,
        )
        return set()
    return {(out / name).resolve() for name in names}


def list_outputs(out: Path, written: Iterable[str]) -> None:
    """Add the files ``written`` (paths relative to the folder ``out``, ``/``-separated) to its
    :data:`OUTPUTS_LIST`, keeping the entries of earlier runs whose files are still there (a
    list that cannot be read is replaced); nothing is written when ``written`` is empty. A list
    that cannot be written is named in one warning (a later run may read the files written
    as inputs)."""
    new = list(written)
    if not new:
        return
    try:
        earlier = [name for name in _listed_names(out) if (out / name).is_file()]
    except (OSError, UnicodeDecodeError, ValueError):
        earlier = []
    listing = out / OUTPUTS_LIST
    try:
        listing.write_text(json.dumps(list(dict.fromkeys([*earlier, *new])), indent=1) + "\n")
    except OSError as err:
        logger.warning(
            "cannot write %s (%s): a later run that reads %s as an input folder reads the "
            "files this run wrote there as inputs",
            listing,
            err.strerror or err,
            out,
        )


def _listed_names(out: Path) -> list[str]:
    """The names in ``out``'s :data:`OUTPUTS_LIST` (``[]`` when there is none).

    Raises:
        OSError, UnicodeDecodeError: it cannot be read.
        ValueError: it is no JSON list of names.
    """
    listing = out / OUTPUTS_LIST
    if not listing.is_file():
        return []
    names = json.loads(listing.read_text(encoding="utf-8"))
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError("it is no JSON list of file names")
    return names


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
