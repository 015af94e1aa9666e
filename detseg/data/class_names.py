"""Class names of a detection dataset: the ``data.classes`` reader and the unknown-class guard.

``data.classes`` is the same for every detection format (COCO json, VOC xml, YOLO txt): a list
of names, a ``classes.txt`` (one name per line) or a data yaml whose ``names`` is a list or an
``{index: name}`` dict (Ultralytics style; its ``nc``, where given, must count them, as in
Ultralytics). Names are in label order: ``classes[k - 1]`` is label ``k``. A relative path is
looked up under ``data.root`` first, then in the current directory.

The guard: a reader counts the objects of its split whose class it does not know (a VOC
``<name>`` outside the classes, a YOLO class index ``>= K``, a COCO ``category_id`` outside the
categories). When more than :data:`UNKNOWN_CLASS_LIMIT` of them are unknown the class list is
surely wrong, and :func:`check_unknown_classes` raises a ``ValueError`` listing what was found;
below it they are skipped with one warning. Both name the first few places (``file:line``) of
the unknown objects when the reader gives them (the YOLO reader does).

Classes taken from the annotations (VOC with ``classes: null``) include every name found, a
typo among them (``dgo`` beside 1000 ``dog``) as a class of its own. :func:`log_found_classes`
logs the list with each class's object count, at WARNING when a class is rare
(:func:`rare_classes`: fewer than :data:`RARE_CLASS_OBJECTS` objects and under
:data:`RARE_CLASS_SHARE` of the largest class's), naming its first files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "EXAMPLE_LIMIT",
    "SET_CLASSES_HINT",
    "UNKNOWN_CLASS_LIMIT",
    "check_class_count",
    "check_unknown_classes",
    "class_name",
    "format_counts",
    "format_places",
    "listed_class_names",
    "log_found_classes",
    "rare_classes",
    "read_class_names",
    "resolve_class_file",
    "root_class_file",
]

logger = logging.getLogger(__name__)

#: Largest fraction of a split's objects that may belong to no known class; above it the class
#: list does not fit the dataset and building the dataset fails.
UNKNOWN_CLASS_LIMIT = 0.5

_FORMS = "a list of names, a classes.txt (one name per line) or a data yaml with 'names'"

#: Values that are no list of names though Python iterates over them (a string by its
#: characters, a dict by its keys), with the word a message calls them by.
_NOT_LISTS: tuple[tuple[type, str], ...] = ((str, "string"), (bytes, "bytes"), (Mapping, "mapping"))

#: How many places of unknown objects the warning or error names.
EXAMPLE_LIMIT = 5

#: A class found in the annotations is rare (a typo?) with fewer objects than this ...
RARE_CLASS_OBJECTS = 5
#: ... and under this fraction of the objects of the largest class.
RARE_CLASS_SHARE = 0.01

#: The advice of the unknown-class error when the class list comes from ``data.classes``.
SET_CLASSES_HINT = (
    "set data.classes to its names in label order, as a list (--set 'data.classes=[a, b]') or "
    "a file (data.classes=classes.txt, one name per line; or a data yaml with 'names')"
)


def resolve_class_file(path: str | os.PathLike, root: str | os.PathLike | None = None) -> Path:
    """Where a class-names file is: as given when absolute, else under ``root``, else in the cwd.

    Args:
        path: The file (``classes.txt``, ``data.yaml``, ...).
        root: The dataset folder (``data.root``) tried first for a relative ``path``.

    Raises:
        FileNotFoundError: No such file in any of the places; the message names all of them.
    """
    path = Path(path)
    places = [path] if path.is_absolute() or root is None else [Path(root) / path, path]
    for place in places:
        if place.is_file():
            return place
    tried = str(path)
    if len(places) == 2:
        tried = f"under data.root ({places[0]}) or in the current directory ({Path.cwd() / path})"
    hint = ""
    if path.suffix == "" and len(path.parts) == 1:
        hint = f" (to give names, write a list: data.classes=[{path}, ...])"
    raise FileNotFoundError(
        f"class names file {str(path)!r} not found {tried}: set data.classes to {_FORMS}{hint}"
    )


def root_class_file(root: str | os.PathLike) -> Path | None:
    """``<root>/classes.txt`` when the dataset folder holds one (as the VOC writer puts there),
    else ``None``: the class names of a VOC-layout folder when ``data.classes`` is not set."""
    path = Path(root) / "classes.txt"
    return path if path.is_file() else None


def read_class_names(
    source: Sequence[str] | str | os.PathLike, root: str | os.PathLike | None = None
) -> list[str]:
    """Class names from a list, a ``classes.txt`` (one per line) or a data yaml with ``names``.

    Args:
        source: The names themselves, or a ``.txt`` / ``.yaml`` / ``.yml`` file. In a yaml,
            ``names`` is a list or an ``{index: name}`` dict with indices ``0..K-1``.
        root: Folder a relative file path is looked up in first (``data.root``); then the
            current directory.

    Returns:
        Names in label order (index 0 -> label 1).

    Raises:
        FileNotFoundError: The file is missing (the message names the places looked in).
        ValueError: No names, duplicate names, an unreadable yaml, one without a usable
            ``names`` entry or whose ``nc`` is not their number, or ``source`` of another type.
    """
    if isinstance(source, (str, os.PathLike)):
        path = resolve_class_file(source, root)
        names = _names_from_file(path)
        where = str(path)
        if path.suffix.lower() not in (".yaml", ".yml"):  # a classes.txt: name k on line k
            _check_names(names, where, "line")
            return names
    elif isinstance(source, Sequence) and not isinstance(source, bytes):
        return listed_class_names(source, "data.classes")
    else:
        raise ValueError(f"data.classes must be {_FORMS}; got {source!r}")
    _check_names(names, where)
    return names


def listed_class_names(values: Sequence[Any], where: str) -> list[str]:
    """The class names of a list (``data.classes``, a json's category names) as every reader
    takes them: each by :func:`class_name` (stripped; ``None`` is an empty entry), checked
    as :func:`read_class_names` checks them.

    Args:
        values: The listed names, in label order.
        where: What the messages name (``data.classes``, the file the names come from).

    Raises:
        ValueError: No names, an empty one, or one repeated (once stripped); ``values`` a
            string, bytes or a mapping, which would be read item by item (``"cat"`` as the
            classes ``c``, ``a``, ``t``; a dict as its keys).
    """
    kind = next((word for cls, word in _NOT_LISTS if isinstance(values, cls)), None)
    if kind is not None:
        raise ValueError(
            f"{where}: expected a list of class names, got the {kind} {values!r:.80}: give a "
            "list of names (a file of names is read by read_class_names, and data.classes "
            "takes its path where the config allows one)"
        )
    names = [class_name(value) for value in values]  # None (an empty entry) is refused
    _check_names(names, where)
    return names


def _check_names(names: list[str], where: str, unit: str = "class name") -> None:
    """Refuse no names, an empty name, or a repeated one (names already stripped, so names
    that differ only by surrounding spaces are repeated). ``unit``: what a position is called
    in the message (``"line"`` for a ``classes.txt``, whose line k holds name k)."""
    if not names:
        raise ValueError(f"{where} lists no class names: give {_FORMS}")
    if "" in names:
        raise ValueError(f"{where}: class name {names.index('') + 1} is empty")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        places = "; ".join(
            f"{name!r}: {unit}s {', '.join(str(k + 1) for k, n in enumerate(names) if n == name)}"
            for name in repeated[:EXAMPLE_LIMIT]
        )
        raise ValueError(
            f"{where}: class names must be unique, {repeated} appear more than once ({places})"
        )


def _names_from_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a leading byte-order mark is dropped
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not a UTF-8 text file ({exc.reason}): give {_FORMS}") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        return _names_from_yaml(path, text)
    return _names_from_lines(path, text)


def _names_from_lines(path: Path, text: str) -> list[str]:
    """The names of a ``classes.txt``: one per line (line ``k`` is class index ``k - 1``),
    blank lines at the end ignored.

    A blank line before a name is refused rather than skipped: skipping it would move every
    later name to the index one below the one its line gives it.

    Raises:
        ValueError: A blank line comes before a name (the message names the file and line).
    """
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if "" in lines:
        blank = lines.index("") + 1
        shifted = next(k for k in range(blank, len(lines)) if lines[k]) + 1
        raise ValueError(
            f"{path}:{blank}: blank line before the class name on line {shifted}; names are "
            "read one per line in label order, so skipping it would shift the ids of every "
            "later class: delete the line, or write the missing class name on it"
        )
    return lines


def _yaml_problem(error: yaml.YAMLError) -> str:
    """``line L, column C: <problem>`` of a YAML error (lines and columns from 1), one line:
    not PyYAML's own text, which quotes ``"<unicode string>"`` and draws a caret under the
    line."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or " ".join(str(error).split())
    if mark is None:
        return problem
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def _names_from_yaml(path: Path, text: str) -> list[str]:
    """The ``names`` of a data yaml in index order, checked against its ``nc`` where it gives
    one (:func:`check_class_count`)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path} is not valid YAML ({_yaml_problem(exc)}): give {_FORMS}") from exc
    names: Any = data.get("names") if isinstance(data, dict) else None
    if isinstance(names, dict):
        try:
            index = {int(k): v for k, v in names.items()}
        except (TypeError, ValueError):
            index = {}
        if sorted(index) != list(range(len(names))):
            raise ValueError(
                f"{path}: the keys of 'names' must be the indices 0..{len(names) - 1}, "
                f"got {list(names)}"
            )
        listed = [class_name(index[k]) for k in range(len(index))]
    elif isinstance(names, list):
        listed = [class_name(n) for n in names]
    else:
        raise ValueError(
            f"{path}: expected a 'names' list or {{index: name}} dict, got {names!r}; "
            "write e.g. 'names: [cat, dog]'"
        )
    problem = check_class_count(data.get("nc"), len(listed))
    if problem:
        raise ValueError(f"{path}: {problem}")
    return listed


def check_class_count(count: Any, names: int) -> str:
    """What is wrong with a data yaml's ``nc`` given ``names`` names (``""``: nothing; an
    absent ``nc`` is ``None``): not an integer, or another number than the names, which
    Ultralytics refuses too. The data file reader
    (:func:`detseg.config.data_file.load_data_file`) says it in the same words."""
    if count is None:
        return ""
    if isinstance(count, bool) or not isinstance(count, int):
        return f"'nc' must be the number of classes (an integer), got {count!r}"
    if count != names:
        return f"'nc' is {count} but 'names' has {names} names; make them agree"
    return ""


def class_name(value: Any) -> str:
    """One listed class name as every reader takes it (a ``data.classes`` list, a yaml
    ``names``, and the load-time check of a config's list, ``detseg.config.class_list``):
    stripped; an empty entry (``null``, a list item ``-`` with nothing after it) is ``""``,
    which :func:`_check_names` refuses by its position, rather than a class named ``"None"``."""
    return "" if value is None else str(value).strip()


def format_counts(counts: Mapping[Any, int], limit: int = 12) -> str:
    """``"zebra (60), horse (30)"``: the entries of ``counts``, most frequent first.

    Args:
        counts: Name (or id) -> how many objects.
        limit: Most entries written; the rest are summarized as ``"... (N more)"``.
    """
    items = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    text = ", ".join(f"{name} ({count})" for name, count in items[:limit])
    if len(items) > limit:
        text += f", ... ({len(items) - limit} more)"
    return text


def format_places(examples: Sequence[str], count: int) -> str:
    """``" (at a.txt:3, b.txt:1, ...)"``: the first places of the ``count`` unknown objects;
    ``""`` without places."""
    if not examples:
        return ""
    more = ", ..." if count > min(len(examples), EXAMPLE_LIMIT) else ""
    return f" (at {', '.join(examples[:EXAMPLE_LIMIT])}{more})"


def check_unknown_classes(
    unknown: Mapping[Any, int],
    total: int,
    source: str,
    what: str,
    classes: Sequence[str],
    fix: str = SET_CLASSES_HINT,
    examples: Sequence[str] = (),
) -> int:
    """Fail when most objects of a split have an unknown class; otherwise warn once.

    Args:
        unknown: Unknown class name (or id) -> number of objects found with it.
        total: Number of objects of the split, unknown ones included.
        source: What was read (a json file, an annotations folder, a labels folder).
        what: What "unknown" means here, e.g. ``"class not in data.classes"``.
        classes: The known class names (quoted in the messages).
        fix: What the error tells the user to do (default: set ``data.classes``).
        examples: Where the first unknown objects are (``"labels/a.txt:3"``); the first
            :data:`EXAMPLE_LIMIT` are named in the warning or error.

    Returns:
        The number of unknown objects (they are skipped by the reader).

    Raises:
        ValueError: More than :data:`UNKNOWN_CLASS_LIMIT` of ``total`` objects are unknown; the
            message lists the unknown names with their counts and says to set ``data.classes``.
    """
    count = sum(unknown.values())
    if count == 0:
        return 0
    found = format_counts(unknown) + format_places(examples, count)
    known = ", ".join(classes[:20]) + (", ..." if len(classes) > 20 else "")
    share = f"{count} of {total} objects ({100 * count / max(total, 1):.0f}%)"
    if count > UNKNOWN_CLASS_LIMIT * total:
        raise ValueError(
            f"{source}: {share} have a {what} ({known}): {found}. The class list does not fit "
            f"this dataset: {fix}"
        )
    logger.warning("%s: skipping %s with a %s (%s): %s", source, share, what, known, found)
    return count


def rare_classes(counts: Mapping[str, int]) -> list[str]:
    """The classes of ``counts`` (name -> objects) with fewer than :data:`RARE_CLASS_OBJECTS`
    objects and fewer than :data:`RARE_CLASS_SHARE` of the largest class's count (1 % of it):
    beside 1000 ``dog``, a ``dgo`` of 3 objects is rare; 3 of each of 2 classes are not.
    In the order of ``counts``."""
    largest = max(counts.values(), default=0)
    return [
        name
        for name, count in counts.items()
        if count < RARE_CLASS_OBJECTS and count < RARE_CLASS_SHARE * largest
    ]


def log_found_classes(
    counts: Mapping[str, int],
    files: Mapping[str, Sequence[str]],
    source: str,
    log: logging.Logger = logger,
) -> None:
    """Log the class list taken from the annotations, with each class's object count.

    INFO as a rule; WARNING when a class is rare (:func:`rare_classes`), naming each rare class
    with its first :data:`EXAMPLE_LIMIT` files and saying to fix the name there or to set
    ``data.classes``.

    Args:
        counts: Class name -> objects, in label order (the class list).
        files: Class name -> the annotation files that hold its objects (``Annotations/a.xml``).
        source: What was read (``"VOC classes from 12 annotation files"``).
        log: The logger to write to (the reader's).
    """
    listed = ", ".join(f"{name} ({count})" for name, count in counts.items())
    rare = rare_classes(counts)
    if not rare:
        log.info("%s: %s", source, listed)
        return
    where = "; ".join(
        f"{name} in {', '.join(files.get(name, ())[:EXAMPLE_LIMIT])}"
        + (", ..." if len(files.get(name, ())) > EXAMPLE_LIMIT else "")
        for name in rare
    )
    log.warning(
        "%s: %s. Class%s %s ha%s very few objects (under %d, and under %g%% of the largest "
        "class): a misspelt name becomes a class of its own. Found %s; fix the name in those "
        "files, or set data.classes to the class names (objects of other names are then "
        "skipped and counted)",
        source,
        listed,
        "es" if len(rare) > 1 else "",
        ", ".join(rare),
        "ve" if len(rare) > 1 else "s",
        RARE_CLASS_OBJECTS,
        100 * RARE_CLASS_SHARE,
        where,
    )
