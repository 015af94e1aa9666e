"""Data files: a dataset described once, used with any experiment config (``--data FILE``).

A data file is one of:

- a detseg data file: a top-level ``data:`` mapping (such a file also works as a ``_base_``),
  or the keys of a data section directly (a mapping with ``format``)::

      data:
        format: voc
        root: datasets/VOCdevkit/VOC2007

  A relative ``root`` stays as written: relative to the current directory, as in configs.
  A ``root`` naming another folder while the data file's own folder holds the dataset (a
  copied dataset folder) is warned about by :func:`detseg.config.data_root.warn_root_elsewhere`.
- an Ultralytics data yaml (``path``, ``train``, ``val``, optional ``test``, ``names`` as a list
  or an ``{index: name}`` dict; recognised by ``names`` and ``train`` without ``format``). It
  becomes ``format: yolo`` with ``root`` = ``path`` (relative to the yaml's folder; the yaml's
  folder when absent), ``train_images`` / ``val_images`` = ``train`` / ``val`` and ``classes`` =
  the names in index order (``nc`` is checked against them; ``test``, ``download`` and other
  keys are not read). As in Ultralytics, a ``train`` / ``val`` of ``../x`` that does not exist
  under the root reads ``x`` when that exists: Roboflow exports write ``train: ../train/images``
  in a ``data.yaml`` next to ``train/``. The labels are found by the yolo reader's rule
  (``images`` -> ``labels`` in the path).

The data file's section replaces the config's ``data`` section; the config's ``augmentations``
stay unless the data file has its own (:func:`replace_data_section`).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from detseg.config.bases import deep_merge, read_yaml
from detseg.config.class_list import check_class_list
from detseg.config.data_root import layout_format, layouts_text
from detseg.config.data_section import DEFAULT_FORMAT, check_data_options
from detseg.config.packaged import resolve_config_path
from detseg.config.schema import ConfigError
from detseg.shell_words import shell_word


def load_data_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a data file (see the module docstring) into a flat data section.

    Args:
        path: a detseg data file or an Ultralytics data yaml, or the name of a packaged one
            (``datasets/voc``; :func:`~detseg.config.packaged.resolve_config_path`).

    Returns:
        ``{"format": ..., "root": ..., **format keys}``, plus ``augmentations`` only when the
        file gives them. ``root`` is ``""`` when a detseg data file gives none (set it with
        ``--set data.root=...``).

    Raises:
        ConfigError: the file is missing or not a data file (a folder: :func:`_folder_given`),
            or its section is invalid (an unknown format or key, a ``root`` that is not a
            string, ...); the message names the file.
    """
    path = resolve_config_path(path, what="data file").expanduser()
    if path.is_dir():
        raise ConfigError(_folder_given(path))
    raw = read_yaml(path, what="data file")
    if "data" in raw:
        others = sorted(str(k) for k in raw if k != "data")
        if others:
            raise ConfigError(
                f"{path}: a data file holds only a 'data:' mapping, found also {', '.join(others)} "
                "(an experiment config is the CONFIG argument, not a data file)"
            )
        if not isinstance(raw["data"], dict):
            raise ConfigError(f"{path}: 'data' must be a mapping, got {raw['data']!r}")
        section = deep_merge({}, raw["data"])
    elif "format" in raw:
        section = deep_merge({}, raw)
    elif "names" in raw and "train" in raw:
        section = _from_ultralytics(raw, path)
    else:
        raise ConfigError(
            f"{path}: not a data file: expected a 'data:' mapping, a mapping with 'format' "
            "(the keys of a data section), or an Ultralytics data yaml (path, train, val, names)"
        )
    return check_data_section(section, str(path))


def _folder_given(folder: Path) -> str:
    """The error of a dataset folder given as the data file: the data file inside it
    (``data.yaml``, else the ``.yaml`` files of its top level), or, when it holds none, to write
    one or to give the packaged data file of its layout
    (:func:`~detseg.config.data_root.layout_format`) with the folder as its root."""
    try:
        yamls = sorted(
            p
            for p in folder.iterdir()
            if p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith(".")
        )
    except OSError:  # an unreadable folder: the advice for one without a data file
        yamls = []
    named = [p for p in yamls if p.stem == "data"] or yamls
    if named:
        which = " or ".join(str(p) for p in named[:3]) + (" or ..." if len(named) > 3 else "")
        return f"{folder} is a folder, not a data file; give the data file inside it: {which}"
    fmt = layout_format(folder)
    root = shell_word(str(folder))
    if fmt is None:
        packaged = (
            "give the packaged data file of the layout it should have with the folder as its "
            f"root (--data datasets/FORMAT --set data.root={root}; the layouts: "
            f"{layouts_text()})"
        )
    else:
        packaged = (
            f"give the packaged data file of its layout ({fmt}) with the folder as its root: "
            f"--data datasets/{fmt} --set data.root={root}"
        )
    return (
        f"{folder} is a folder, not a data file, and holds none (no .yaml in it); write one "
        f"(detseg-check-data {root} tells the layout it finds), or {packaged}"
    )


def replace_data_section(raw: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """``raw`` (a config dict) with its data section replaced by ``data`` (a data file's).

    The config's ``augmentations`` are kept unless ``data`` has its own. Neither input is
    modified.
    """
    section = deep_merge({}, data)
    old = raw.get("data")
    if "augmentations" not in section and isinstance(old, dict) and "augmentations" in old:
        section["augmentations"] = copy.deepcopy(old["augmentations"])
    return {**raw, "data": section}


def check_data_section(section: dict[str, Any], source: str) -> dict[str, Any]:
    """A flat data section (a data file's, or one ``detseg-check-data`` builds) checked as a
    training run checks its data section, ``format`` and ``root`` filled in.

    Args:
        section: ``{"format", "root", "augmentations", **format keys}``, each but the format
            keys optional; ``format`` and ``root`` are set (:data:`DEFAULT_FORMAT`, ``""``)
            where missing.
        source: the file (or ``--set``) named at the start of an error.

    Returns:
        ``section``'s keys and values, the switches as bools
        (:func:`~detseg.config.data_section.check_data_options`).

    Raises:
        ConfigError: a ``format`` that is no name, a ``root`` that is no string,
            ``augmentations`` that are no list of mappings; an unknown key, a key of another
            format, a ``classes`` or a switch or path of the wrong type
            (``'data.load_masks' must be a bool, got 'maybe'``).
    """
    fmt = section.setdefault("format", DEFAULT_FORMAT)
    if not isinstance(fmt, str) or not fmt:
        raise ConfigError(f"{source}: 'format' must be a format name (e.g. coco), got {fmt!r}")
    root = section.setdefault("root", "")
    if not isinstance(root, str):
        raise ConfigError(f"{source}: 'root' must be a path (a string), got {root!r}")
    augmentations = section.get("augmentations", [])
    if not isinstance(augmentations, list) or not all(isinstance(a, dict) for a in augmentations):
        raise ConfigError(
            f"{source}: 'augmentations' must be a list of mappings ({{name: ..., ...}}), "
            f"got {augmentations!r}"
        )
    return check_data_options(fmt, section, source)


def _from_ultralytics(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """The yolo data section of an Ultralytics data yaml."""
    where = f"{path} (an Ultralytics data yaml)"
    root_value = raw.get("path") or ""
    if not isinstance(root_value, str):
        raise ConfigError(f"{where}: 'path' must be a folder, got {root_value!r}")
    # an absolute 'path' stays as it is; '~/datasets/x' is under the home folder
    root = os.path.normpath(path.parent / os.path.expanduser(root_value))
    section: dict[str, Any] = {"format": "yolo", "root": root}
    for split in ("train", "val"):
        folder = images_folder(raw.get(split), split, where)
        section[f"{split}_images"] = without_parent_step(Path(root), folder)
    section["classes"] = _ultralytics_names(raw["names"], where)
    from detseg.data.class_names import check_class_count  # config imports data/ inside functions

    problem = check_class_count(raw.get("nc"), len(section["classes"]))
    if problem:
        raise ConfigError(f"{where}: {problem}")
    return section


def images_folder(value: Any, split: str, where: str) -> str:
    """One images folder from an Ultralytics ``train`` / ``val`` entry."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None:
        raise ConfigError(f"{where}: '{split}' is required: the {split} images folder")
    if not isinstance(value, str):
        raise ConfigError(
            f"{where}: '{split}' must be one images folder (relative to 'path'), got {value!r}"
        )
    if value.lower().endswith(".txt"):
        raise ConfigError(
            f"{where}: '{split}: {value}' is a list of images; the yolo format reads an images "
            "folder: give the folder (e.g. images/train)"
        )
    return value


def without_parent_step(root: Path, folder: str) -> str:
    """``folder`` without a leading ``../`` when only that form exists under ``root``.

    Ultralytics reads ``path / folder`` and, when that does not exist and ``folder`` starts
    with ``../``, ``path / folder[3:]``: Roboflow exports put ``train: ../train/images`` in the
    ``data.yaml`` at the top of the dataset folder.
    """
    if folder.startswith("../") and not (root / folder).exists() and (root / folder[3:]).exists():
        return folder[3:]
    return folder


def _ultralytics_names(names: Any, where: str) -> list[str]:
    """Class names in index order from a list or an ``{index: name}`` dict."""
    if isinstance(names, dict):
        try:
            by_index = {int(k): v for k, v in names.items()}
        except (TypeError, ValueError):
            raise ConfigError(
                f"{where}: 'names' keys must be class indices 0..K-1, got {list(names)}"
            ) from None
        if sorted(by_index) != list(range(len(by_index))):
            raise ConfigError(
                f"{where}: 'names' keys must be class indices 0..K-1, got {sorted(by_index)}"
            )
        names = [by_index[i] for i in range(len(by_index))]
    if not isinstance(names, list) or not names:
        raise ConfigError(f"{where}: 'names' must be a non-empty list or {{index: name}} mapping")
    from detseg.data.class_names import class_name  # config imports data/ inside functions

    check_class_list(names, where, "'names'")
    return [class_name(n) for n in names]
