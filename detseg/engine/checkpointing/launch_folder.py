"""The folder a checkpoint was trained from, and the relative paths of its config read from it.

A run's config keeps ``data.root`` and the data keys of
``detseg.config.paths.DATA_PATH_KEYS`` (``data.classes``, ``data.val_ann`` ...) as they were
written: a relative one (``datasets/shapes``) is relative to the folder training was started
from. :func:`~detseg.engine.checkpointing.checkpoint.save_checkpoint` records that folder, the
absolute working folder of the process that writes the file, as ``state["launch_folder"]``
(:func:`with_launch_folder`). Every reader that builds data from a checkpoint's config reads
it through :func:`checkpoint_config` (``detseg-eval`` and ``evaluate_checkpoint``,
``detseg-export`` and its check images, ``detseg.load`` and so ``detseg-infer``). A relative
path that the working folder lacks is read from the launch folder where it is there
(:func:`from_launch_folder`): ``detseg-eval best.pt`` run inside ``runs/demo`` finds
``datasets/shapes`` of the folder the run was started from, while a copy of the project on
another machine, run from its own project folder, reads its own copy. The keys so read:

- ``data.root``;
- a string ``data.classes`` (a class-names file) found neither under the root nor in the
  working folder (``classes: voc`` of format ``voc`` is a name and stays);
- where ``data.root`` is ``""`` or ``.`` (the data keys are then relative to the working
  folder), the other relative data keys of ``DATA_PATH_KEYS``.

A checkpoint without ``launch_folder`` (written before it was recorded, or by other code) is
read from the working folder only.

``model.backbone_weights`` (a file, or ``imagenet``) is kept as written: a model rebuilt from a
checkpoint reads no backbone weights file
(:func:`~detseg.engine.checkpointing.model_files.model_from_checkpoint`), as the checkpoint
holds every tensor.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from detseg.config import Config, config_from_dict
from detseg.config.paths import DATA_PATH_KEYS

logger = logging.getLogger(__name__)

#: The checkpoint entry holding the absolute working folder of the training process.
LAUNCH_FOLDER_KEY = "launch_folder"

#: The values of ``data.root`` that make the data keys relative to the working folder.
WORKING_FOLDER_ROOTS = ("", ".")


def with_launch_folder(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with ``launch_folder`` set to the absolute working folder of this process,
    when it holds a config dict and records no launch folder yet (a loaded checkpoint written
    again keeps its own); else ``state`` itself. ``state`` is not modified."""
    if not isinstance(state.get("config"), dict) or LAUNCH_FOLDER_KEY in state:
        return state
    return {**state, LAUNCH_FOLDER_KEY: str(Path.cwd())}


def recorded_launch_folder(state: Mapping[str, Any]) -> str | None:
    """The checkpoint's ``launch_folder`` (an absolute folder), or ``None`` for an old
    checkpoint or an entry no training wrote (not a string, not absolute)."""
    launch_folder = state.get(LAUNCH_FOLDER_KEY)
    if isinstance(launch_folder, str) and os.path.isabs(launch_folder):
        return launch_folder
    return None


def from_launch_folder(path: str, launch_folder: str | None) -> str:
    """The path to read for the relative ``path`` of a checkpoint's config.

    ``path`` itself when it exists from the working folder (a copy of the project on another
    machine, run from its project folder, reads its own files), is absolute or empty, or
    when there is no ``launch_folder``; else ``launch_folder / path`` when that exists (the
    file or folder of the folder the checkpoint was trained from); else ``path``, so that the
    reader's message names the path as written.

    Args:
        path: a path-valued key of a checkpoint's config (``datasets/shapes``).
        launch_folder: the checkpoint's ``launch_folder`` (an absolute folder), or ``None``.
    """
    if not launch_folder or not path or os.path.isabs(path) or os.path.exists(path):
        return path
    candidate = os.path.join(launch_folder, path)
    return candidate if os.path.exists(candidate) else path


def checkpoint_config(
    state: dict[str, Any],
    source: str,
    overrides: Sequence[str] | Mapping[str, Any] = (),
    data_file: str | os.PathLike[str] | None = None,
    *,
    say_missing_root: bool = False,
) -> Config:
    """``config_from_dict`` of a loaded checkpoint's config, its relative paths read from the
    launch folder where the working folder lacks them (the keys of the module docstring).

    Only the checkpoint's own values are read so: ``overrides`` (``data.root=...``) and
    ``data_file`` apply as given (a data key is read from the launch folder only while the
    config keeps the checkpoint's value, and its root). One INFO line names each value read
    from the launch folder that the config keeps.

    Args:
        state: a checkpoint dict (``load_checkpoint``); its ``config`` is not modified.
        source, overrides, data_file: as ``detseg.config.config_from_dict`` takes them.
        say_missing_root: log one WARNING line when the config keeps a relative
            ``data.root`` of the checkpoint that is neither in the working folder nor in the
            launch folder (a caller about to read the data: ``detseg-eval``), so that the
            reader's error that follows is not the whole story.

    Raises:
        ConfigError: as ``config_from_dict``.
    """
    launch_folder = recorded_launch_folder(state)
    raw = dict(state["config"])
    moved: dict[str, tuple[str, str]] = {}  # {data key: (value, found)}: the lines to log
    data = raw.get("data")
    root = data.get("root") if isinstance(data, dict) else None
    if isinstance(data, dict) and isinstance(root, str):
        found_root = from_launch_folder(root, launch_folder)
        if found_root != root:
            data = raw["data"] = {**data, "root": found_root}
            moved["root"] = (root, found_root)
    relative: dict[str, tuple[str, str]] = {}  # the data keys read from the launch folder
    if launch_folder is not None and data_file is None and isinstance(data, dict):
        relative = _data_keys_found(data, launch_folder)
        raw["data"] = {**data, **{key: found for key, (_, found) in relative.items()}}
    cfg = config_from_dict(raw, source=source, overrides=overrides, data_file=data_file)
    # the config keeps the checkpoint's root (its data keys are relative to it)
    same_root = (
        data_file is None and isinstance(data, dict) and cfg.data.root == raw["data"].get("root")
    )
    for key, (value, found) in relative.items():
        if cfg.data.options.get(key) == found:
            if same_root:
                moved[key] = (value, found)
            else:  # another root (an override): the key is relative to it
                cfg.data.options[key] = value
    kept = cfg.to_dict()["data"]
    for key, (value, found) in moved.items():
        if kept.get(key) == found:
            _say_read(f"data.{key}", value, launch_folder)
    if say_missing_root and launch_folder is not None and same_root:
        _say_missing_root(cfg.data.root, launch_folder)
    return cfg


def _data_keys_found(data: dict[str, Any], launch_folder: str) -> dict[str, tuple[str, str]]:
    """``{key: (value, found)}`` of the keys of the flat data section ``data`` (its root
    already read from the launch folder) that are read from ``launch_folder``: a class-names
    file found neither under the root nor in the working folder, and, where the root is the
    working folder (``""``, ``.``), each relative path key of ``DATA_PATH_KEYS`` that the
    working folder lacks (:func:`from_launch_folder`)."""
    root = data.get("root")
    found_keys: dict[str, tuple[str, str]] = {}
    for key in DATA_PATH_KEYS:
        value = data.get(key)
        if not isinstance(value, str) or not isinstance(root, str) or os.path.isabs(value):
            continue
        if key == "classes":
            found = _class_file(value, root, str(data.get("format")), launch_folder)
        elif root in WORKING_FOLDER_ROOTS:
            found = from_launch_folder(value, launch_folder)
        else:
            continue  # relative to a root of its own
        if found != value:
            found_keys[key] = (value, found)
    return found_keys


def _class_file(value: str, root: str, fmt: str, launch_folder: str) -> str:
    """``data.classes`` ``value`` to read: as it is where it names classes (``voc``) or a
    file under ``root`` or in the working folder (``detseg.data.class_names``' order), else
    ``launch_folder / value`` where that is a file, else as it is."""
    if fmt in ("voc", "voc_seg") and value == "voc":
        return value
    if (Path(root) / value).is_file() or Path(value).is_file():
        return value
    candidate = Path(launch_folder) / value
    return str(candidate) if candidate.is_file() else value


def _say_read(key: str, value: str, launch_folder: str | None) -> None:
    """One INFO line: the ``key`` ``value`` of a checkpoint is read from ``launch_folder``."""
    logger.info(
        "%s %s read from the run's launch folder %s (the checkpoint was trained there)",
        key,
        value,
        launch_folder,
    )


def _say_missing_root(root: str, launch_folder: str) -> None:
    """Log one WARNING line when the checkpoint's ``data.root`` ``root`` is relative and
    neither the working folder nor ``launch_folder`` holds it."""
    if root in WORKING_FOLDER_ROOTS or os.path.isabs(root) or os.path.isdir(root):
        return
    logger.warning(
        "data.root %s is neither in the working folder (%s) nor in the run's launch folder "
        "(%s): set data.root to the dataset folder (detseg-eval --set data.root=PATH)",
        root,
        Path.cwd(),
        launch_folder,
    )
