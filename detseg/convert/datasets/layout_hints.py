"""What to do with a conversion source outside its format's default layout, in one message.

A source folder without any split of the default layout gets the step that fits what it holds
(:func:`no_splits_hint`): COCO jsons elsewhere (a Roboflow export's
``<split>/_annotations.coco.json``, ``annotations/train.json``) the data file naming them, one
line ready to paste into a yaml file; VOC xml files without ``ImageSets/Main`` lists, or beside
their images (a labelImg folder), what to move and which lists to write; YOLO images in
``images/`` itself the data file naming that folder. A COCO json given as the source gets its
dataset folder, or the data file naming it (:func:`json_source_hint`). Any other folder gets
the general form of a data file (:func:`~detseg.convert.datasets.source_layout.data_file_hint`).
"""

from __future__ import annotations

import json
from pathlib import Path

from detseg.convert.datasets.data_file import split_roles
from detseg.convert.datasets.source_layout import data_file_hint
from detseg.data.image_io import IMAGE_SUFFIXES

__all__ = ["coco_json_hint", "json_source_hint", "no_splits_hint"]

#: The name of a COCO json of the default layout: ``annotations/instances_<split>.json``.
_PREFIX = "instances_"

#: Files a hint names before "and N more".
_SHOWN = 4


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
