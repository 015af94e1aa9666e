"""The splits of a detseg data file given as a conversion source, read by the file's own keys.

A detseg data file (``data: {format, root, train_images, ...}``) describes its dataset with the
keys training reads (:data:`detseg.data.registry.DATA_DEFAULTS`): COCO ``<role>_images`` and
``<role>_ann``, YOLO ``<role>_images`` and ``<role>_labels``, VOC ``<role>_split`` (a split
name, or a split file relative to ``root``), for the roles ``train`` and ``val``; a key the
file leaves out has its default. Each role becomes one split:

- when its files are those of a split of the format's default layout, that split (by its
  name; a VOC ``<role>_split`` that is a split name, not a file, always is);
- otherwise a split named after the role (``train`` / ``val``), which takes the place of a
  default-layout split of that name, and of one whose annotation file it reads (a CVAT COCO
  export's ``annotations/instances_default.json``, its images in ``images/`` rather than
  ``default/images``: :func:`replaced_splits`).

The other splits of the default layout (``test``, ...) are read as before. A key the file gives
whose folder or file is missing is an error naming the key; a role left at its defaults whose
files are missing has no split (as a folder source without that split).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detseg.config.bases import read_yaml
from detseg.config.data_file import load_data_file
from detseg.convert.datasets.records import Layout, SplitFiles
from detseg.data.registry import DATA_DEFAULTS

__all__ = ["data_file_hint", "data_file_layout", "default_split_files", "replaced_splits"]

_ROLES = ("train", "val")


#: The keys a data file gives to name the train split's files, per format (the val ones alike).
_ROLE_KEYS = {
    "coco": "train_images: ..., train_ann: ...",
    "voc": "train_split: ...",
    "yolo": "train_images: ..., train_labels: ...",
}


def data_file_hint(fmt: str, root: Path) -> str:
    """What to give for a source in another layout than ``fmt``'s default: a data file that
    names its files by the keys training reads (as a Roboflow or CVAT export needs)."""
    return (
        f"give as the source a data file naming the files by the keys training reads "
        f"(data: {{format: {fmt}, root: {root}, {_ROLE_KEYS[fmt]}}} and the val_ ones)"
    )


def default_split_files(root: Path, fmt: str, split: str) -> SplitFiles:
    """The files of ``split`` in the default layout of ``fmt`` at ``root`` (not checked)."""
    if fmt == "coco":
        images = root / split / "images"
        images = images if images.is_dir() else root / split  # the COCO 2017 layout
        return SplitFiles(images, root / "annotations" / f"instances_{split}.json")
    if fmt == "voc":
        return SplitFiles(None, root / "ImageSets" / "Main" / f"{split}.txt")
    return SplitFiles(root / "images" / split, None)


def _keyed_path(root: Path, value: Any, key: str, data_file: Path, given: bool) -> Path | None:
    """``root / value``; ``None`` for a default that is missing. A given one must exist."""
    path = root / str(value)
    if path.exists():
        return path
    if given:
        raise FileNotFoundError(
            f"{data_file}: {key}: {value} not found ({path}); fix the key or the dataset folder"
        )
    return None


def _role_files(section: dict[str, Any], fmt: str, role: str, data_file: Path) -> SplitFiles | None:
    """The files the data file's keys of ``role`` name, or ``None`` when they are missing."""
    root, defaults = Path(section["root"]), DATA_DEFAULTS[fmt]

    def path(name: str) -> Path | None:
        key = f"{role}_{name}"
        value = section.get(key, defaults[key])
        return None if value is None else _keyed_path(root, value, key, data_file, key in section)

    if fmt == "voc":  # a split file, as training takes it; a split name is a default split
        as_file = root / str(section.get(f"{role}_split", defaults[f"{role}_split"]))
        return SplitFiles(None, as_file) if as_file.is_file() else None
    images = path("images")
    second = path("ann" if fmt == "coco" else "labels")
    if images is None or (fmt == "coco" and second is None):
        return None
    return SplitFiles(images, second)


def _same(a: SplitFiles, b: SplitFiles) -> bool:
    """Whether two split descriptions name the same files."""

    def resolved(p: Path | None) -> Path | None:
        return None if p is None else p.resolve()

    return (resolved(a.images), resolved(a.annotations)) == (
        resolved(b.images),
        resolved(b.annotations),
    )


def data_file_layout(source: Path, fmt: str, default_splits: list[str]) -> Layout | None:
    """``{split: files}`` of the roles of the detseg data file ``source`` (rules above).

    Args:
        source: What the user gave as the source: a folder, an Ultralytics data yaml or a
            detseg data file.
        fmt: The source format.
        default_splits: The splits found in the default layout of the data file's ``root``.

    Returns:
        The splits whose files the data file names and no default split has (named after
        their role), or ``None`` for a folder or an Ultralytics data yaml.

    Raises:
        FileNotFoundError: A key the data file gives names a missing folder or file.
    """
    if not source.is_file() or fmt not in ("coco", "voc", "yolo"):
        return None
    if not _raw_section_keys(source):  # an Ultralytics data yaml: read by the YOLO reader
        return None
    section = load_data_file(source)
    root = Path(section["root"])
    layout: Layout = {}
    for role in _ROLES:
        files = _role_files(section, fmt, role, source)
        if files is None:
            continue
        same = [s for s in default_splits if _same(default_split_files(root, fmt, s), files)]
        if not same:
            layout[role] = files
    return layout


def _raw_section_keys(source: Path) -> list[str]:
    """The keys of a detseg data file's section; ``[]`` for an Ultralytics data yaml."""
    raw = read_yaml(source, what="data file")
    section = raw.get("data") if "data" in raw else raw if "format" in raw else None
    return [str(k) for k in section] if isinstance(section, dict) else []


def replaced_splits(root: Path, fmt: str, default_splits: list[str], layout: Layout) -> set[str]:
    """The default-layout splits of ``root`` whose annotation file (a COCO json, a VOC split
    file) a role of ``layout`` reads with other images: that role's split replaces them, so
    that the json is read once and its images where the data file says, not looked for in the
    default place."""
    named = {files.annotations.resolve() for files in layout.values() if files.annotations}
    return {
        split
        for split in default_splits
        if split not in layout
        and (annotations := default_split_files(root, fmt, split).annotations) is not None
        and annotations.resolve() in named
    }
