"""The errors of a ``data`` section that name what to fix in the config.

:func:`~detseg.data.registry.build_dataset` builds a split from a flat data section. A section
that is no dict (a format name alone, ``None``) is refused naming what to give
(:func:`check_section`); a reader's "not found" error about a path of the section is led by the
config key that set it (:func:`name_the_key`), defaults included: a key the config leaves out
is still the one to set; a YOLO folder without the default ``classes.txt`` whose own data yaml
(Ultralytics layout, ``names:`` inside) holds the names is pointed at that file
(:func:`point_at_data_yaml`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from detseg.shell_words import shell_word

__all__ = ["check_section", "name_the_key", "point_at_data_yaml"]


def check_section(data_cfg: object) -> None:
    """Refuse a ``data_cfg`` that is no mapping (a format name alone, ``None``).

    Raises:
        TypeError: naming its type and what to give.
    """
    if not isinstance(data_cfg, Mapping):
        raise TypeError(
            "data_cfg must be a config's data section, a dict such as {'format': 'coco', "
            f"'root': 'datasets/shapes'}}, got {type(data_cfg).__name__} {data_cfg!r:.80}; "
            "a loaded config gives it as config.data.dataset_kwargs()"
        )


def name_the_key(
    err: FileNotFoundError, root: Path, opt: dict[str, Any], split: str
) -> FileNotFoundError:
    """``err`` led by the config key of the missing path, when one path key of ``split``
    (``data.train_images``, ``data.val_ann``, ...) names a path that does not exist under
    ``root`` and ``err`` is about that path: ``data.train_images: COCO images folder not found:
    ...``, so that a user knows which key to fix. VOC split names are no paths (their message
    names the key already)."""
    missing = [
        key
        for key, value in opt.items()
        if key.startswith(f"{split}_")
        and not key.endswith("_split")
        and isinstance(value, (str, os.PathLike))
        and not (root / value).exists()
    ]
    # the error must be about that path: a missing class file beside it names another file
    if len(missing) != 1 or str(root / opt[missing[0]]) not in str(err):
        return err
    return FileNotFoundError(f"data.{missing[0]}: {err}")


def point_at_data_yaml(err: FileNotFoundError, root: Path, classes: Any) -> FileNotFoundError:
    """``err`` (``classes.txt`` not found) with a pointer to the data yaml of ``root`` that
    lists ``names``, when ``data.classes`` is the YOLO default ``classes.txt``: an Ultralytics
    folder keeps its names in ``data.yaml``, which the key ``data.classes`` can name (names
    only), or which can be the data file (names and split folders). Each way is said in both
    the tools' form (``--set data.classes=data.yaml``; ``--data FILE`` of ``detseg-train`` and
    ``detseg-eval``, ``FILE`` as ``detseg-check-data``'s argument) and the Python one
    (the ``classes`` key of the section, ``load_config(..., data_file=FILE)``): the error
    reaches ``build_dataset`` and ``detseg.engine.train`` callers as well as the tools.
    ``err`` itself otherwise."""
    if classes != "classes.txt" or not root.is_dir():
        return err
    found = [path for path in sorted(root.glob("*.y*ml")) if _lists_names(path)]
    if not found:
        return err
    file = found[0]
    return FileNotFoundError(
        f"{err}; {root} has the data yaml {file.name} with 'names': set the key data.classes "
        f"to {file.name} for its names (--set data.classes={file.name}), or read {file.name} as "
        f"the data file for its names and split folders (detseg-train / detseg-eval --data "
        f"{shell_word(file)}, detseg-check-data {shell_word(file)}; in Python "
        f"load_config(..., data_file={str(file)!r}))"
    )


def _lists_names(path: Path) -> bool:
    """Whether ``path`` is a yaml file (``.yaml`` / ``.yml``) whose mapping has ``names``."""
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return False
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and "names" in data
