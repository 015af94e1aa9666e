"""The split a checkpoint is evaluated on: the data section of a split chosen by name
(``--split test``, :func:`split_section`), its loader, its name in the report, and the checks
that its classes are the checkpoint's and that some of its images were read, and the heading's
note of those that were not (:func:`unreadable_note`).

Shared by the detector's (:mod:`detseg.evaluation.checkpoint_detection_eval`) and the
segmenter's (:mod:`detseg.evaluation.checkpoint_segmentation_eval`) evaluation. Their errors
(:class:`~detseg.named_settings.SettingError`) name the settings as ``evaluate_checkpoint``
takes them (``split='test'``, ``overrides``), and as ``tools/eval.py``'s flags (``--split
test``, ``--set``) by ``error.naming(flags)``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from detseg.data.folder_listing import first_few
from detseg.data.loader_workers import shutdown_workers
from detseg.data.registry import DATA_DEFAULTS
from detseg.named_settings import NameOnly, SettingError, literal


@contextlib.contextmanager
def evaluation_loader(
    build: Callable[..., DataLoader], val_set: Any, cfg: Any, device: torch.device
) -> Iterator[DataLoader]:
    """``build`` (the detection or the segmentation loader) over ``val_set`` in order: batches
    of ``eval.batch_size``, the run's workers and prefetching, pinned on CUDA.

    A context manager: its worker processes end with the block, by an error too (see
    :func:`~detseg.data.loader_workers.shutdown_workers`).
    """
    loader = build(
        val_set,
        cfg.eval.batch_size,
        False,
        cfg.train.num_workers,
        device=device,
        prefetch_factor=cfg.train.prefetch_factor,
    )
    try:
        yield loader
    finally:
        shutdown_workers(loader)


def check_some_image_read(read: int, total: int, data: Any) -> None:
    """Refuse to report on an evaluation that read none of its ``total`` images (each skipped
    with a warning naming its file): its numbers (AP 0, mIoU nan) would score nothing.

    Raises:
        ValueError: ``read`` is 0 of ``total > 0``; one line naming the data.
    """
    if read == 0 and total > 0:
        raise ValueError(
            f"none of the {total} images of {evaluated_split(data)} could be read (the warnings "
            "above name each file): nothing to score; replace or remove the broken files "
            "(detseg-check-data, tools/check_data.py, lists them)"
        )


def unreadable_note(unreadable: int, total: int) -> str:
    """The report heading's note of the split's images left out as unreadable (an image or
    label map missing or broken; a warning above names each), ``""`` when none was: the
    numbers score only the images read, e.g. ``" (1 of the 4 left out as unreadable; the
    warnings above name it)"``."""
    if not unreadable:
        return ""
    them = "it" if unreadable == 1 else "them"
    return f" ({unreadable} of the {total} left out as unreadable; the warnings above name {them})"


def evaluated_split(data: Any, split: str | None = None) -> str:
    """The data a checkpoint is evaluated on, as its report names it: the format, the root,
    the split's name where it was chosen (``--split``) and the ``val`` keys (the format's
    defaults where the config sets none), e.g. ``coco at datasets/shapes, split test
    (val_images test/images, val_ann annotations/instances_test.json)``: pointed at the
    held-out split, the report says so."""
    keys = {**DATA_DEFAULTS.get(data.format, {}), **data.options}
    paths = ", ".join(f"{k} {v}" for k, v in keys.items() if k.startswith("val_") and v)
    named = "" if split is None else f", split {split}"
    return f"{data.format} at {data.root}{named} ({paths or 'val split'})"


def split_name(data: Any, split: str | None) -> str:
    """The name of the evaluated split, for ``metrics.json``: ``split`` where it was chosen
    (``--split``), else the config's ``data.val_split`` for the formats that name their split
    (VOC's default is ``test``), else ``val`` (the config's ``val_*`` paths)."""
    if split is not None:
        return split
    if data.format in _NAMED_SPLIT_FILES:
        return str({**DATA_DEFAULTS.get(data.format, {}), **data.options}["val_split"])
    return "val"


#: The formats whose split is a name (``data.val_split``) and the file of split ``{}``.
_NAMED_SPLIT_FILES = {
    "voc": "ImageSets/Main/{}.txt",
    "voc_seg": "ImageSets/Segmentation/{}.txt",
    "shapes_seg": "annotations/instances_{}.json",
}

#: The word of a split inside a path (a whole word: ``val/images``, ``instances_val.json``,
#: ``images/valid``), the ``val`` keys' (or else the ``train`` keys') to change into the name.
_SPLIT_WORDS = {  # a word of its own, or with a year (COCO's val2017 -> test2017)
    "val": re.compile(r"(?<![A-Za-z0-9])(val|valid|validation)(?=\d*(?![A-Za-z0-9]))"),
    "train": re.compile(r"(?<![A-Za-z0-9])(train|training)(?=\d*(?![A-Za-z0-9]))"),
}


def check_split_name(name: str) -> None:
    """Refuse a split ``name`` that is no single name: empty, ``.``, ``..``, a path (``a/b``,
    ``../x``), blank or with blanks around it (``" "``, ``"val "``: a folder ``eval_val `` that
    looks like ``eval_val``), or holding a control character (a NUL no path may hold). A split's
    name becomes part of a path (its files, the default output folder ``eval_<name>``), which
    such a name would point elsewhere, outside the run's folder too (``x/../../y``).

    Raises:
        SettingError: one line naming the setting, ``split='a/b'`` (``--split a/b`` by
            ``naming(flags)``).
    """
    if not _is_single_name(name):
        raise SettingError("{split}: give a split's name, such as val or test", split=name)


def _is_single_name(name: object) -> bool:
    """Whether ``name`` is a string that names one file in a folder: printable, not blank,
    without blanks around it, no path, not ``.`` or ``..``."""
    return (
        isinstance(name, str)
        and name.isprintable()
        and name.strip() == name != ""
        and Path(name).name == name
        and name not in (".", "..")
    )


def split_section(data: Any, name: str) -> Any:
    """``data`` (a :class:`~detseg.config.schema.DataConfig`) with its ``val`` keys pointed at
    split ``name`` of the same dataset, by the convention of its own paths: for COCO, YOLO,
    ``folder_seg`` and ``coco_seg`` the last ``val`` word of each ``val_*`` path becomes
    ``name`` (``val/images`` -> ``test/images``, ``annotations/instances_val.json`` ->
    ``annotations/instances_test.json``, ``images/val`` -> ``images/test``, ``val2017`` ->
    ``test2017``; a path without the word, a folder the splits share, is kept; the ``train_*``
    paths' ``train`` word where no ``val`` path has ``val``); for VOC, ``voc_seg`` and
    ``shapes_seg``, ``data.val_split`` becomes ``name`` (``ImageSets/Main/<name>.txt``, ...).

    Raises:
        SettingError: one line: ``name`` is no name (:func:`check_split_name`), or no split
            of the dataset (naming what is missing and the splits that do exist), or the
            paths hold no split word to change. It names the setting ``split='test'``, or
            ``--split test`` by ``naming(flags)``.
    """
    check_split_name(name)
    full = {**DATA_DEFAULTS.get(data.format, {}), **data.options}
    root = Path(data.root)
    if data.format in _NAMED_SPLIT_FILES:
        pattern = _NAMED_SPLIT_FILES[data.format]
        _check_split_exists(name, [root / pattern.format(name)], _named_splits(root, pattern))
        return dataclasses.replace(data, options={**data.options, "val_split": name})
    changed = _split_paths(full, name)
    found = _path_splits(root, _split_paths(full, "*"))
    _check_split_exists(name, [root / path for path in changed.values()], found)
    return dataclasses.replace(data, options={**data.options, **changed})


def _split_paths(full: dict[str, Any], name: str) -> dict[str, str]:
    """The ``val_*`` paths of split ``name``: the ``val`` paths with ``name`` for their ``val``
    word, else the ``train`` paths with ``name`` for their ``train`` word.

    Raises:
        SettingError: no path of either holds a split word (one line naming the keys).
    """
    for kind, word in _SPLIT_WORDS.items():
        keys = [k for k, v in full.items() if k.startswith(f"{kind}_") and isinstance(v, str)]
        if any(word.search(full[k]) for k in keys):  # a path without it is shared: kept
            return {f"val_{k[len(kind) + 1 :]}": _last_word_as(word, full[k], name) for k in keys}
    named = literal(
        ", ".join(f"data.{k} {v!r}" for k, v in full.items() if k.startswith("val_") and v)
    )
    raise SettingError(
        f"{{split}}: the data section's paths ({named}) hold no split name (val, train) to "
        "change; point the val keys at the split with {overrides} instead",
        split=name,
        overrides=NameOnly("overrides"),
    )


def _last_word_as(word: re.Pattern[str], path: str, name: str) -> str:
    """``path`` with its last split ``word`` written ``name`` (``/data/val_set/val/images`` ->
    ``/data/val_set/test/images``: the folders above the split keep theirs); ``path`` itself
    where it has none (a folder the splits share)."""
    found = list(word.finditer(path))
    if not found:
        return path
    last = found[-1]
    return path[: last.start()] + name + path[last.end() :]


def _check_split_exists(name: str, paths: list[Path], found: list[str]) -> None:
    """Raise the one line of a split ``name`` whose ``paths`` are not all there."""
    missing = [literal(path) for path in paths if not path.exists()]
    if missing:
        there = literal(", ".join(found)) if found else "none found"
        raise SettingError(
            f"{{split}}: no such split of the checkpoint's dataset (no {missing[0]}); its "
            f"splits: {there}",
            split=name,
        )


def _named_splits(root: Path, pattern: str) -> list[str]:
    """The split names whose file of ``pattern`` (``{}`` the name) exists under ``root`` (VOC's
    per-class files such as ``ImageSets/Main/cat_train.txt`` left out)."""
    names = _path_splits(root, {"file": pattern.format("*")})
    return [n for n in names if "_" not in n] if pattern.startswith("ImageSets") else names


def _path_splits(root: Path, patterns: dict[str, str]) -> list[str]:
    """The split names for which every path of ``patterns`` (``*`` the name) exists under
    ``root``, in sorted order."""
    names: set[str] | None = None
    for pattern in patterns.values():
        if "*" not in pattern:  # a folder the splits share names none
            continue
        full = str(root / pattern)
        regex = re.compile("^" + re.escape(full).replace(r"\*", "([^/]+)") + "$")
        found = {m.group(1) for m in map(regex.match, glob.glob(full)) if m is not None}
        names = found if names is None else names & found
    return sorted(names or ())


#: The formats whose ``data.classes`` picks and orders the annotations' classes by name (COCO
#: categories, VOC object names); in the others (YOLO, label maps) it names the label numbers.
_CLASSES_BY_NAME = ("coco", "voc")

#: How many class names a message lists before ``and N more`` (:func:`_listed`).
LISTED_CLASSES = 10


def check_split_classes(split_classes: Sequence[str], classes: Sequence[str], data: Any) -> None:
    """Refuse to score a model on a split of other classes: its labels would be compared with
    another class's boxes or pixels.

    The line names the split (:func:`evaluated_split`: its annotation file) and what can be
    done: ``data.classes`` picks and orders the split's classes by name in the formats of
    :data:`_CLASSES_BY_NAME`, so it helps only there, and only when the split has every class
    of the checkpoint.

    Raises:
        SettingError: ``split_classes`` is not ``classes`` (names and order); where it gives
            a ``data.classes`` setting, it names it as ``overrides=[...]``, or ``--set ...`` by
            ``naming(flags)``.
    """
    split_classes, classes = list(split_classes), list(classes)
    if split_classes == classes:
        return
    absent = [repr(name) for name in dict.fromkeys(classes) if name not in split_classes]
    settings: list[str] = []  # the overrides the advice gives
    if data.format not in _CLASSES_BY_NAME:
        fix = (
            f"a {data.format} dataset numbers its labels by its own class list, which "
            "data.classes would only rename: evaluate on data labelled in the checkpoint's "
            "classes and order"
        )
    elif absent:
        fix = (
            f"it has no class {literal(first_few(absent))}: evaluate on data of the "
            "checkpoint's classes (a data yaml or annotations with these names)"
        )
    else:
        setting = f"data.classes={json.dumps(classes, ensure_ascii=False)}"
        fix, settings = "pick them in the checkpoint's order with {overrides}", [setting]
    raise SettingError(
        f"the val split's classes {literal(_listed(split_classes))} differ from the "
        f"checkpoint's {literal(_listed(classes))} ({literal(evaluated_split(data))}); {fix}",
        **({"overrides": settings} if settings else {}),
    )


def _listed(names: Sequence[str]) -> str:
    """A class list in a message: ``['circle', 'square']``, a long one (COCO's 91) cut to its
    first names, ``['person', 'bicycle', ... and 81 more]``."""
    return f"[{first_few([repr(name) for name in names], LISTED_CLASSES)}]"
