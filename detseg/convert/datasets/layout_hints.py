"""What to do with a conversion source outside its format's default layout, in one message.

A source folder without any split of the default layout gets the step that fits what it holds
(:func:`no_splits_hint`): COCO jsons elsewhere (a Roboflow export's
``<split>/_annotations.coco.json``, ``annotations/train.json``; a json that is no COCO json is
left out) the data file naming them, one line ready to paste into a yaml file; VOC xml files
without ``ImageSets/Main`` lists, or beside their images (a labelImg folder), what to move and
which lists to write; YOLO images in ``images/`` itself the data file naming that folder. A
COCO json given as the source gets its dataset folder, or the data file naming it
(:func:`json_source_hint`). Any other folder gets the general form of a data file
(:func:`~detseg.convert.datasets.source_layout.data_file_hint`).
"""

from __future__ import annotations

import codecs
import json
import re
from collections import Counter
from pathlib import Path

import yaml

from detseg.convert.datasets.data_file import split_roles
from detseg.convert.datasets.source_layout import data_file_hint
from detseg.data.image_io import IMAGE_SUFFIXES, is_image_name

__all__ = ["coco_json_hint", "json_source_hint", "no_splits_hint"]

#: The name of a COCO json of the default layout: ``annotations/instances_<split>.json``.
_PREFIX = "instances_"

#: The COCO json of a Roboflow export's split folder (``valid/_annotations.coco.json``).
_ROBOFLOW_JSON = "_annotations.coco.json"

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
    """``text`` as a value of a YAML flow mapping: as it is where YAML reads it back as this
    string, else double-quoted (a JSON string is a YAML one): a comma, colon or bracket would
    cut it, and YAML reads some plain words as other values (``null``, ``~``, ``yes``, ``on``,
    ``01``) or not at all (``- x``)."""
    try:
        plain = yaml.safe_load(f"{{k: {text}}}") == {"k": text}
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text)


def _json_split_names(root: Path, jsons: list[Path]) -> dict[str, Path]:
    """``{split: json}``, the split each COCO json stands for: its own folder's name when it is
    that folder's one json (a Roboflow export's ``valid/_annotations.coco.json``), else its
    name less ``instances_`` (``annotations/train.json``, ``labels/val.json`` beside
    ``labels/train.json``, ``instances_val.json``); two jsons of one split keep the first."""
    per_folder = Counter(ann.parent for ann in jsons)
    named: dict[str, Path] = {}
    for ann in jsons:
        own_split = ann.parent not in (root, root / "annotations") and per_folder[ann.parent] == 1
        split = ann.parent.name if own_split else (ann.stem.removeprefix(_PREFIX) or ann.stem)
        named.setdefault(split, ann)
    return named


def _holds_images(folder: Path) -> bool:
    """Whether ``folder`` itself holds image files (:data:`IMAGE_SUFFIXES`)."""
    return any(is_image_name(path) and path.is_file() for path in folder.iterdir())


def _json_images(root: Path, ann: Path, split: str) -> str:
    """The images folder of a COCO json of ``split``, relative to ``root``: the json's own
    folder when it holds images (a Roboflow export's split folder), else the first of
    ``<split>/images``, ``<split>``, ``images/<split>``, ``images`` that exists, else
    ``root`` itself."""
    if _holds_images(ann.parent):
        return ann.parent.relative_to(root).as_posix()
    for folder in (f"{split}/images", split, f"images/{split}", "images"):
        if (root / folder).is_dir():
            return folder
    return "."


def _hint_roles(splits: list[str]) -> dict[str, str]:
    """The roles a suggested data file gives ``splits``: those the output's ``data.yaml``
    gives them (:func:`split_roles`), less a ``train`` role that falls to an evaluation split
    (a ``test``-only export's ``test``, the val role's split too), which would convert the same
    images twice, or test images as training ones; the condition is the one for which
    :func:`~detseg.convert.datasets.data_file.write_data_file` warns."""
    roles = split_roles(splits)
    train = roles.get("train", "")
    if train == roles.get("val") or train.lower().startswith(("val", "test", "minival")):
        return {"val": roles.get("val", train)}
    return roles


def _coco_json_keys(root: Path, named: dict[str, Path], roles: dict[str, str]) -> dict[str, str]:
    """The keys of a data file for the COCO jsons ``named`` (``{split: json}``) under
    ``root``: the images folder and the json of each role's split."""
    keys: dict[str, str] = {}
    for role, split in roles.items():
        ann = named[split]
        images = _json_images(root, ann, split)
        keys |= {f"{role}_images": images, f"{role}_ann": ann.relative_to(root).as_posix()}
    return keys


def coco_json_hint(root: Path, jsons: list[Path]) -> str:
    """What to give for COCO jsons outside the default layout: the data file that names them,
    with their roles as the output's ``data.yaml`` picks them (``train``, ``valid`` ...); for
    jsons without a train split, the val role only and why."""
    named = _json_split_names(root, jsons)
    roles = _hint_roles(list(named))
    keys = _coco_json_keys(root, named, roles)
    them = "it" if len(set(roles.values())) == 1 else "them"
    hint = (
        f"give as the source a data file naming {them} (a yaml file holding "
        f"{_data_file_text('coco', root, keys)}; fix the images folders if they are elsewhere)"
    )
    if "train" in roles:
        return hint
    return (
        f"{hint}; no train split among the jsons' splits ({', '.join(named)}): the data file "
        f"converts {roles['val']} as the val split only; add train_images and train_ann of a "
        "training split to train on it"
    )


def json_source_hint(ann: Path) -> str:
    """What to give instead of the COCO json ``ann`` as a source: its dataset folder when the
    json sits in the default layout (``<root>/annotations/instances_<split>.json``), else the
    data file that names it, rooted at the dataset folder for a json in ``annotations/`` (its
    images are beside that folder, not in it)."""
    if ann.parent.name == "annotations" and ann.name.startswith(_PREFIX):
        return (
            f"give the dataset folder {ann.parent.parent}, which holds it as annotations/{ann.name}"
        )
    if ann.parent.name == "annotations":
        return coco_json_hint(ann.parent.parent, [ann])
    return coco_json_hint(ann.parent, [ann])


#: The bytes of a json that tell a COCO json from another: a file this small is read whole, of
#: a larger one (a 450 MB ``instances_train2017.json``) only its head (:func:`_is_coco_json`).
_HEAD_BYTES = 1 << 20

_DECODER = json.JSONDecoder()

#: JSON's white space, as it may stand between the tokens of an object.
_SPACE = re.compile(r"[ \t\n\r]*")


def _is_coco_json(path: Path) -> bool:
    """Whether ``path`` reads as a COCO json: not Roboflow's ``README.dataset.json``, a LabelMe
    json of one image, a list (a results file) or a broken file.

    A file of at most :data:`_HEAD_BYTES` is read whole: a mapping with ``images`` and
    ``annotations``. Of a larger one only the first :data:`_HEAD_BYTES` are read: its top-level
    keys there (:func:`_head_keys`) must include ``images`` or ``annotations`` holding a list.
    COCO's and Roboflow's files start so: ``info``, ``licenses`` and ``categories`` before the
    two lists, of which the first runs on past the head; a large file cut short is taken as
    a COCO json here (its conversion names what is wrong with it). A leading UTF-8 byte-order
    mark is allowed, as the reader allows it (:func:`~detseg.data.json_files.read_json`).
    """
    try:
        with path.open("rb") as file:
            head = file.read(_HEAD_BYTES + 1)
        if len(head) <= _HEAD_BYTES:
            data = json.loads(head.decode("utf-8-sig"))
            return isinstance(data, dict) and "images" in data and "annotations" in data
        # a character cut at the end of the head is left out, not an error
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head[:_HEAD_BYTES])
    except (OSError, ValueError):  # ValueError: not JSON, or not UTF-8
        return False
    keys = _head_keys(text)
    return keys.get("images") == "[" or keys.get("annotations") == "["


def _head_keys(text: str) -> dict[str, str]:
    """The top-level keys of the JSON object that ``text`` starts, each with the first
    character of its value (``[`` for a list): the keys whose value ends in ``text`` and the
    one whose value runs past its end. Empty when ``text`` starts no JSON object; the keys
    before anything that is no JSON."""
    keys: dict[str, str] = {}
    at = _space_end(text, 0)
    if not text.startswith("{", at):
        return keys
    at += 1
    while True:
        at = _space_end(text, at)
        if not text.startswith('"', at):
            return keys
        try:
            key, at = _DECODER.raw_decode(text, at)
        except ValueError:  # a key cut by the end of the head
            return keys
        at = _space_end(text, at)
        if not text.startswith(":", at):
            return keys
        at = _space_end(text, at + 1)
        if at >= len(text):
            return keys
        keys[key] = text[at]
        try:
            _, at = _DECODER.raw_decode(text, at)
        except ValueError:  # the value runs past the head (or is no JSON)
            return keys
        at = _space_end(text, at)
        if not text.startswith(",", at):
            return keys
        at += 1


def _space_end(text: str, at: int) -> int:
    """Where the white space of ``text`` from ``at`` ends."""
    match = _SPACE.match(text, at)
    return at if match is None else match.end()


def _coco_jsons(root: Path) -> list[Path]:
    """The COCO jsons in ``root`` and its sub-folders; of a folder holding a Roboflow
    ``_annotations.coco.json``, that one only (another COCO json beside it is a copy)."""
    jsons = sorted(root.glob("*.json")) + sorted(root.glob("*/*.json"))
    found = [path for path in jsons if _is_coco_json(path)]
    roboflow = {path.parent for path in found if path.name == _ROBOFLOW_JSON}
    return [path for path in found if path.parent not in roboflow or path.name == _ROBOFLOW_JSON]


def _coco_hint(root: Path) -> str | None:
    """For COCO jsons in ``root`` or its sub-folders (a Roboflow export, a json beside an
    images folder): the ready data file that names them."""
    jsons = _coco_jsons(root)
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
