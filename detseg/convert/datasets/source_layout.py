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

A source folder without any split of the default layout gets the step that fits what it holds
(:func:`no_splits_hint`): COCO jsons elsewhere (a Roboflow export's
``<split>/_annotations.coco.json``) the data file naming them, ready to paste; VOC xml files
without ``ImageSets/Main`` lists, or beside their images (a labelImg folder), what to move and
which lists to write; YOLO images in ``images/`` itself the data file naming that folder. A COCO
json given as the source gets its dataset folder, or the data file naming it
(:func:`json_source_hint`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from detseg.config.bases import read_yaml
from detseg.config.data_file import load_data_file
from detseg.convert.datasets.data_file import split_roles
from detseg.convert.datasets.records import Layout, SplitFiles
from detseg.data.image_io import IMAGE_SUFFIXES
from detseg.data.registry import DATA_DEFAULTS

__all__ = [
    "data_file_hint",
    "data_file_layout",
    "default_split_files",
    "json_source_hint",
    "no_splits_hint",
    "replaced_splits",
]

_ROLES = ("train", "val")

#: The name of a COCO json of the default layout: ``annotations/instances_<split>.json``.
_PREFIX = "instances_"

#: Files a hint names before "and N more".
_SHOWN = 4


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


def _shown(paths: list[Path], root: Path) -> str:
    """The first few of ``paths`` relative to ``root``, with how many more."""
    names = [p.relative_to(root).as_posix() for p in paths[:_SHOWN]]
    more = f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else ""
    return ", ".join(names) + more


def _data_file_text(fmt: str, root: Path, keys: dict[str, str]) -> str:
    """``data: {format: fmt, root: root, key: value, ...}``, one line to paste into a file;
    ``root`` absolute, since a data file's relative ``root`` is read from the current folder
    (:mod:`detseg.convert.datasets.data_file`), wherever the file is put."""
    items = ", ".join(f"{key}: {_yaml_word(value)}" for key, value in keys.items())
    return f"data: {{format: {fmt}, root: {_yaml_word(str(root.resolve()))}, {items}}}"


def _yaml_word(text: str) -> str:
    """``text`` as a value of a YAML flow mapping: as it is, or double-quoted (a JSON string
    is a YAML one) where a comma, colon, bracket or other YAML sign would cut or change it."""
    plain = text and text == text.strip() and not set(text) & set(",:{}[]#&*!|>'\"%@`")
    return text if plain else json.dumps(text)


def _json_split_name(root: Path, ann: Path) -> str:
    """The split a COCO json stands for: its own folder's name (a Roboflow export's
    ``valid/_annotations.coco.json``), else its name (``annotations/train.json``,
    ``instances_val.json``)."""
    if ann.parent not in (root, root / "annotations"):
        return ann.parent.name
    return ann.stem.removeprefix(_PREFIX) or ann.stem


def _json_images(root: Path, ann: Path, split: str) -> str:
    """The images folder of a COCO json of ``split``, relative to ``root``: the json's own
    folder (its images beside it), else the first of ``<split>/images``, ``<split>``,
    ``images/<split>``, ``images`` that exists, else ``root`` itself."""
    if ann.parent not in (root, root / "annotations"):
        return ann.parent.relative_to(root).as_posix()
    for folder in (f"{split}/images", split, f"images/{split}", "images"):
        if (root / folder).is_dir():
            return folder
    return "."


def _coco_json_keys(root: Path, jsons: list[Path]) -> dict[str, str]:
    """The train / val keys of a data file for COCO jsons under ``root``: a json's role comes
    from the split it stands for, as the output's ``data.yaml`` picks its roles (``train``,
    ``valid`` ...); two jsons of one name keep the first."""
    named: dict[str, Path] = {}
    for ann in jsons:
        named.setdefault(_json_split_name(root, ann), ann)
    keys: dict[str, str] = {}
    for role, name in split_roles(list(named)).items():
        ann = named[name]
        images = _json_images(root, ann, name)
        keys |= {f"{role}_images": images, f"{role}_ann": ann.relative_to(root).as_posix()}
    return keys


def coco_json_hint(root: Path, jsons: list[Path]) -> str:
    """What to give for COCO jsons outside the default layout: the data file that names them."""
    keys = _coco_json_keys(root, jsons)
    them = "it" if len(jsons) == 1 else "them"
    return (
        f"give as the source a data file naming {them} (a yaml file holding "
        f"{_data_file_text('coco', root, keys)}; fix the images folders if they are elsewhere)"
    )


def json_source_hint(ann: Path) -> str:
    """What to give instead of the COCO json ``ann`` as a source: its dataset folder when the
    json sits in the default layout (``<root>/annotations/instances_<split>.json``), else the
    data file that names it."""
    if ann.parent.name == "annotations" and ann.name.startswith(_PREFIX):
        return (
            f"give the dataset folder {ann.parent.parent}, which holds it as annotations/{ann.name}"
        )
    return coco_json_hint(ann.parent, [ann])


def _coco_hint(root: Path) -> str | None:
    """For COCO jsons in ``root`` or its sub-folders (a Roboflow export, a json beside an
    images folder): the ready data file that names them."""
    jsons = sorted(root.glob("*.json")) + sorted(root.glob("*/*.json"))
    if not jsons:
        return None
    return f"{root} holds {_shown(jsons, root)}: {coco_json_hint(root, jsons)}"


def _voc_hint(root: Path) -> str | None:
    """For xml files without split lists (``Annotations/`` only), or beside their images (a
    labelImg folder): what to move and which split lists to write."""
    lists = (
        "write their ids (the file names without .xml), one per line, to "
        "ImageSets/Main/train.txt and, for validation, some to ImageSets/Main/val.txt"
    )
    xml_files = sorted((root / "Annotations").glob("*.xml"))
    if xml_files:
        return f"Annotations/ holds {len(xml_files)} xml files but no split lists: {lists}"
    xml_files = sorted(root.glob("*.xml"))
    if xml_files:
        return (
            f"{root} holds {len(xml_files)} xml files beside its images (a labelImg folder), "
            "not the VOC layout: move the xml files into Annotations/ and the images into "
            f"JPEGImages/, then {lists}"
        )
    return None


def _yolo_hint(root: Path) -> str | None:
    """For ``images/`` holding the images themselves (no split folders): the data file that
    trains on them."""
    images = root / "images"
    pictures = [p for p in sorted(images.glob("*")) if p.suffix.lower() in IMAGE_SUFFIXES]
    if not pictures:
        return None
    keys = {"train_images": "images"}
    if (root / "labels").is_dir():
        keys["train_labels"] = "labels"
    return (
        f"images/ holds {len(pictures)} images itself, not in split folders "
        f"(images/train/, images/val/): give as the source a data file naming it (a yaml file "
        f"holding {_data_file_text('yolo', root, keys)}), or move them into split folders"
    )


def no_splits_hint(fmt: str, root: Path) -> str:
    """What to do with a source folder without any split of ``fmt``'s default layout: for a
    layout recognised here (COCO jsons elsewhere, VOC xml files without split lists, YOLO
    images without split folders) the concrete step, else the data file that names the files
    (:func:`data_file_hint`)."""
    hints = {"coco": _coco_hint, "voc": _voc_hint, "yolo": _yolo_hint}
    found = hints[fmt](root) if root.is_dir() and fmt in hints else None
    return found or f"for another layout {data_file_hint(fmt, root)}"
