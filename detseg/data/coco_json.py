"""Reading a COCO detection json, checked: each problem is one message naming the file, the
entry and its field.

:func:`load_coco_json` checks what the readers rely on (``images`` with unique integer ids and
file names, ``categories`` with unique ids and names, ``annotations`` with an integer
``image_id`` and, where given, a usable ``category_id``, ``iscrowd`` and ``area``).
:func:`warn_shared_file_names` names the images entries of one file for the readers.
:func:`check_unique_names` is the category-name check that applies when ``data.classes``
does not pick the classes; :func:`stripped_category_names` gives the readers the names as class
names are taken (stripped). :func:`check_file_names` and :func:`shared_names` serve the evaluation
of a predictions file too (:mod:`detseg.evaluation.gt_file_checks`), which reads the same json.
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path, PureWindowsPath
from typing import Any

from detseg.data.folder_listing import folder_listing
from detseg.data.json_files import read_json

logger = logging.getLogger(__name__)

#: The end of the messages about a file that is not a COCO detection dataset.
LAYOUT_HINT = (
    "expected a COCO json with 'images', 'annotations' and 'categories' and a folder holding "
    "the files named by images[*].file_name"
)


def load_coco_json(ann_file: Path) -> dict[str, Any]:
    """Load and validate a COCO annotation file.

    Checks what the readers rely on: ``images`` entries with a unique integer ``id`` and a
    ``file_name`` string, ``categories`` with a unique integer ``id`` and a ``name``,
    ``annotations`` (may be absent: no objects) with an integer ``image_id`` and, where given,
    an integer ``category_id``, an ``iscrowd`` of 0 or 1 and a numeric ``area``.

    Raises:
        FileNotFoundError: ``ann_file`` does not exist.
        ValueError: Not JSON (:func:`~detseg.data.json_files.read_json`), not a COCO
            detection file (the message names the entry and its field), or two images (or two
            categories) with the same id (the message names the entries).
    """
    if not ann_file.is_file():
        raise FileNotFoundError(missing_annotation_message(ann_file))
    data = read_json(ann_file)
    if not isinstance(data, dict):
        raise ValueError(f"{ann_file} holds a {type(data).__name__}, not an object; {LAYOUT_HINT}")
    data.setdefault("annotations", [])
    for key, fields in _REQUIRED_FIELDS.items():
        if key not in data:
            raise ValueError(f"{ann_file} has no '{key}' list; {LAYOUT_HINT}")
        _check_entries(ann_file, key, data[key], fields)
    check_file_names(ann_file, data["images"])
    _check_annotation_values(ann_file, data["annotations"])
    if not data["images"]:
        raise ValueError(f"{ann_file} lists no images; a dataset needs at least one")
    _check_unique_ids(ann_file, "images", data["images"], "file_name", "image")
    if not data["categories"]:
        raise ValueError(f"{ann_file} lists no categories; a detection dataset needs at least one")
    _check_unique_ids(ann_file, "categories", data["categories"], "name", "category")
    return data


def missing_annotation_message(ann_file: Path, from_config: bool = True) -> str:
    """The error of a COCO json that is not there: what its folder holds (the first few
    ``.json`` files, and how many more), and the keys that name the file, so that a typo in
    ``data.train_ann`` shows beside the names it meant. ``from_config=False`` for a json given
    as a path of its own (``tools/anchors.py``'s source), which no key names."""
    folder = ann_file.parent
    keys = (
        "set data.train_ann / data.val_ann to the annotation file (a path under data.root); "
        if from_config
        else ""
    )
    return (
        f"COCO annotation file not found: {ann_file}; {folder} {folder_listing(folder, '.json')}; "
        f"{keys}{LAYOUT_HINT}"
    )


def warn_shared_file_names(ann_file: Path, images: list[dict]) -> None:
    """One warning naming the ``images`` entries (checked by :func:`load_coco_json`) that
    share a ``file_name``: the dataset readers read each entry as an image of its own with only
    its own annotations, so each copy shows the other copies' objects as background."""
    # "./a.png", "a.png" (and "b\\1.png", "b/1.png") name one file, as the readers open it
    shared = shared_values(images, "file_name", _same_file_name)
    if not shared:
        return
    listed = "; ".join(f"{name!r}: ids {ids}" for name, ids in list(shared.items())[:5])
    more = f" and {len(shared) - 5} more names" if len(shared) > 5 else ""
    names = "1 file name is" if len(shared) == 1 else f"{len(shared)} file names are"
    logger.warning(
        "%s: %s listed by several images (%s%s); each entry is read as an image of its own "
        "with only its own annotations, so each copy shows the others' objects as background: "
        "list each file once, with all its annotations",
        ann_file,
        names,
        listed,
        more,
    )


#: Keys every entry of a COCO list must have (the ``*id`` ones are integers).
_REQUIRED_FIELDS = {
    "images": ("id", "file_name"),
    "categories": ("id", "name"),
    "annotations": ("image_id",),
}


def _check_entries(ann_file: Path, key: str, entries: Any, fields: tuple[str, ...]) -> None:
    """Raise a ``ValueError`` naming the first entry of ``data[key]`` that lacks a field."""
    if not isinstance(entries, list):
        raise ValueError(
            f"{ann_file}: '{key}' must be a list, got {type(entries).__name__}; {LAYOUT_HINT}"
        )
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"{ann_file}: {key}[{i}] is not an object: {str(entry)[:80]}")
        for name in fields:
            value = entry.get(name)
            if value is None:
                raise ValueError(f"{ann_file}: {key}[{i}] has no '{name}': {str(entry)[:120]}")
            if name.endswith("id") and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(
                    f"{ann_file}: {key}[{i}]['{name}'] must be an integer, got {value!r}"
                )


def check_file_names(ann_file: Path | str, images: list[dict]) -> None:
    """Raise a ``ValueError`` naming the first ``images`` entry whose ``file_name`` is not a
    non-empty string (each entry a dict with an ``id``)."""
    for i, image in enumerate(images):
        name = image.get("file_name")
        if not isinstance(name, str) or not name.strip():
            has = f"'file_name' {_json(name)}" if "file_name" in image else "no 'file_name'"
            raise ValueError(
                f"{ann_file}: images[{i}] (id {image['id']}) has {has}; it "
                "must be the image's path relative to the images folder, as a string"
            )


def _annotation_value_problem(ann: dict) -> str | None:
    """What is wrong with the optional ``category_id``, ``iscrowd`` or ``area`` of one
    annotation, or ``None``.

    A missing (or ``null``) ``category_id`` is not a problem here: the readers skip and count
    such annotations as of an unknown category.
    """
    cat_id = ann.get("category_id")
    if cat_id is not None and (not isinstance(cat_id, int) or isinstance(cat_id, bool)):
        return f"'category_id' {_json(cat_id)}; it must be the integer id of one of its categories"
    if "iscrowd" in ann and ann["iscrowd"] not in (0, 1):  # True / False compare equal too
        return f"'iscrowd' {_json(ann['iscrowd'])}; it must be 0 or 1 (or leave it out: 0)"
    area = ann.get("area", 0)
    if isinstance(area, bool) or not isinstance(area, (int, float)) or not math.isfinite(area):
        return (
            f"'area' {_json(area)}; it must be a number (or leave it out: the mask's area is "
            "used, or the box's without a segmentation)"
        )
    return None


def _json(value: Any) -> str:
    """``value`` as JSON writes it (``null``, ``"3"``), cut to 60 characters."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _check_annotation_values(ann_file: Path, annotations: list[dict]) -> None:
    """Raise a ``ValueError`` naming the first annotation with an unusable ``category_id``,
    ``iscrowd`` or ``area`` (see :func:`_annotation_value_problem`)."""
    for i, ann in enumerate(annotations):
        problem = _annotation_value_problem(ann)
        if problem is not None:
            raise ValueError(f"{ann_file}: annotations[{i}] (id {ann.get('id')}) has {problem}")


def _check_unique_ids(
    ann_file: Path, key: str, entries: list[dict], name_field: str, kind: str
) -> None:
    """Raise a ``ValueError`` naming the first two entries of ``data[key]`` that share an ``id``.

    Args:
        ann_file: The json (named in the message).
        key: ``"images"`` or ``"categories"``.
        entries: The checked entries of ``data[key]`` (each has an integer ``id``).
        name_field: The field that identifies an entry to a reader (``file_name``, ``name``).
        kind: What annotations name by id (``"image"``, ``"category"``).
    """
    first_of: dict[int, int] = {}
    for i, entry in enumerate(entries):
        j = first_of.setdefault(entry["id"], i)
        if j != i:
            raise ValueError(
                f"{ann_file}: {key}[{i}] has id {entry['id']}, the id of {key}[{j}] "
                f"({entries[j][name_field]!r}); annotations name their {kind} by id, so give "
                f"every {kind} a unique id"
            )


def misnumbered_annotations(annotations: list[dict]) -> list[str]:
    """The annotations whose ``id`` the COCO evaluation libraries cannot index them by, as
    ``"annotations[i] (id X)"``: an id that is not an integer from 1 to ``2**63 - 1``
    (:func:`annotation_id_number`: 0, their mark for 'no match', a negative id, a string, a
    bool, none), or the id of an earlier annotation. The evaluation renumbers such a ground
    truth 1..N with a warning (:mod:`detseg.evaluation.coco_ground_truth`);
    ``tools/check_data.py`` names them first."""
    seen: set[int] = set()
    found = []
    for i, ann in enumerate(annotations):
        number = annotation_id_number(ann.get("id"))
        if number is None or number in seen:
            found.append(f"annotations[{i}] (id {_json(ann.get('id'))})")
        if number is not None:
            seen.add(number)
    return found


#: The largest annotation id both COCO evaluation libraries match by: faster-coco-eval keeps
#: ids as signed 64-bit integers and counts a match only for an id > 0.
MAX_ANNOTATION_ID = 2**63 - 1


def annotation_id_number(value: Any) -> int | None:
    """``value`` as an annotation id both COCO evaluation libraries match by, an ``int`` from
    1 to ``2**63 - 1`` (from an integer, numpy's too, or a whole float such as ``3.0``), else
    ``None`` (0, a negative or too large number, a fraction, a bool, a string, ...)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        number = int(float(value))
    else:
        return None
    return number if 1 <= number <= MAX_ANNOTATION_ID else None


def check_unique_names(
    ann_file: Path,
    categories: list[dict],
    written: list[dict] | None = None,
    choosable: bool = True,
) -> None:
    """Raise a ``ValueError`` naming the ids of categories that share a ``name``.

    Class names label a model's outputs (and a checkpoint keeps them), so every class of the
    dataset needs its own. ``categories`` hold the names as read (stripped,
    :func:`stripped_category_names`); ``written``, the json's own entries, lets the message
    show the names as the file writes them (``'cat'`` and ``'cat '``; ``3`` and ``"3"``, one
    class name as text), saying that they are equal once stripped where only surrounding
    spaces tell them apart. ``choosable``: the format picks categories by ``data.classes``
    (``coco``), so the message offers to leave the shared names out of it; ``coco_seg`` and
    ``shapes_seg`` have no such key.
    """
    repeated = shared_names(categories)
    if not repeated:
        return
    as_written = {c.get("id"): c.get("name") for c in written or categories}
    listed = []
    padded = False
    for name, ids in repeated.items():
        spellings = list(dict.fromkeys(as_written.get(i, name) for i in ids))
        shown = f" (written {', '.join(map(repr, spellings))})" if len(spellings) > 1 else ""
        listed.append(f"{name!r}: ids {ids}{shown}")
        padded |= len({s for s in spellings if isinstance(s, str)}) > 1
    advice = "give every category of its 'categories' list a distinct name"
    if choosable:
        advice += f", or set data.classes to the names to train on, {_leaving_out(repeated)}"
    raise ValueError(
        f"{ann_file}: categories share a name ({'; '.join(listed)})"
        + (", equal once surrounding spaces are stripped" if padded else "")
        + f"; {advice}"
    )


def _leaving_out(repeated: dict[str, list[Any]]) -> str:
    """``"leaving out 'cat' (ids 1 and 2: data.classes cannot tell them apart)"``: the shared
    names, each with its ids, that a ``data.classes`` list cannot pick."""

    def ids_of(ids: list[Any]) -> str:
        return f"ids {', '.join(map(str, ids[:-1]))} and {ids[-1]}"

    if len(repeated) == 1:
        ((name, ids),) = repeated.items()
        return f"leaving out {name!r} ({ids_of(ids)}: data.classes cannot tell them apart)"
    names = [f"{name!r} ({ids_of(ids)})" for name, ids in repeated.items()]
    return (
        f"leaving out {', '.join(names[:-1])} and {names[-1]}: data.classes cannot tell apart "
        "the categories of one name"
    )


def _same_file_name(name: str) -> str:
    """``name`` as the readers open it: Windows separators as ``/`` (``b\\1.png`` is
    ``b/1.png``, :func:`~detseg.data.coco_fields.coco_image_file`), ``./`` and doubled
    separators dropped."""
    return os.path.normpath(PureWindowsPath(name).as_posix())


def stripped_category_names(categories: list[dict]) -> list[dict]:
    """``categories`` with each string ``name`` stripped of surrounding spaces, as every class
    name is (:func:`~detseg.data.class_names.class_name`): ``" cat "`` is the class ``cat``
    that ``data.classes`` picks, a checkpoint stores and its predictions say. Two names that
    become one are then refused as shared (:func:`check_unique_names`); a category whose name
    is no string is left as it is."""
    return [
        {**category, "name": category["name"].strip()}
        if isinstance(category.get("name"), str)
        else category
        for category in categories
    ]


def shared_names(categories: list[dict]) -> dict[str, list[Any]]:
    """``{name: [ids]}`` of the names that several of ``categories`` (dicts with an ``id``
    and a ``name``) share, in the order the names first occur."""
    return shared_values(categories, "name")


def shared_values(
    entries: list[dict], key: str, same: Callable[[str], str] = str
) -> dict[str, list[Any]]:
    """``{value: [ids]}`` of the values of ``key`` that several of ``entries`` (dicts with an
    ``id``) share, the values as ``same`` writes them (``os.path.normpath`` for file names),
    in the order they first occur."""
    ids_of: dict[str, list[Any]] = defaultdict(list)
    for entry in entries:
        ids_of[same(str(entry[key]))].append(entry["id"])
    return {value: ids for value, ids in ids_of.items() if len(ids) > 1}
