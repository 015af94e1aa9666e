"""The folder a checkpoint was trained from, and the relative paths of its config read from it.

A run's config keeps ``data.root`` and ``model.backbone_weights`` as they were written: a
relative one (``datasets/shapes``) is relative to the folder training was started from.
:func:`~detseg.engine.checkpointing.checkpoint.save_checkpoint` records that folder, the
absolute working folder of the process that writes the file, as ``state["launch_folder"]``
(:func:`with_launch_folder`). The readers that build data or a model from a checkpoint's
config (``detseg-eval`` and ``evaluate_checkpoint``, the check images of ``detseg-export``)
read it through :func:`checkpoint_config`, which reads each such key by
:func:`from_launch_folder`: ``detseg-eval best.pt`` run inside ``runs/demo`` finds
``datasets/shapes`` of the folder the run was started from, while a copy of the project on
another machine, run from its own project folder, reads its own copy. A checkpoint without
``launch_folder`` (written before it was recorded, or by other code) is read as before: from
the working folder only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from detseg.config import Config, config_from_dict

logger = logging.getLogger(__name__)

#: The checkpoint entry holding the absolute working folder of the training process.
LAUNCH_FOLDER_KEY = "launch_folder"

#: The ``(section, key)`` of the config that are paths relative to the working folder and
#: that reading a checkpoint uses: the dataset's root, and the backbone weights file a
#: model builder loads (``model.init_from`` is not read when a checkpoint is loaded; the keys
#: of ``detseg.config.paths.DATA_PATH_KEYS`` are relative to ``data.root``).
CHECKPOINT_PATH_KEYS: tuple[tuple[str, str], ...] = (
    ("data", "root"),
    ("model", "backbone_weights"),
)


def with_launch_folder(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` with ``launch_folder`` set to the absolute working folder of this process,
    when it holds a config dict and records no launch folder yet (a loaded checkpoint written
    again keeps its own); else ``state`` itself. ``state`` is not modified."""
    if not isinstance(state.get("config"), dict) or LAUNCH_FOLDER_KEY in state:
        return state
    return {**state, LAUNCH_FOLDER_KEY: str(Path.cwd())}


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
) -> Config:
    """``config_from_dict`` of a loaded checkpoint's config, its relative paths
    (:data:`CHECKPOINT_PATH_KEYS`) read by :func:`from_launch_folder`.

    Only the checkpoint's own values are read so: ``overrides`` (``data.root=...``) and
    ``data_file`` apply afterwards, as given. One INFO line names each value read from the
    launch folder that the config keeps.

    Args:
        state: a checkpoint dict (``load_checkpoint``); its ``config`` is not modified.
        source, overrides, data_file: as ``detseg.config.config_from_dict`` takes them.

    Raises:
        ConfigError: as ``config_from_dict``.
    """
    launch_folder = state.get(LAUNCH_FOLDER_KEY)
    if not isinstance(launch_folder, str) or not os.path.isabs(launch_folder):
        launch_folder = None  # an old checkpoint, or an entry no training wrote
    raw = dict(state["config"])
    moved: dict[tuple[str, str], tuple[str, str]] = {}
    for section, key in CHECKPOINT_PATH_KEYS:
        values = raw.get(section)
        value = values.get(key) if isinstance(values, dict) else None
        if not isinstance(value, str) or _weights_name(section, key, value):
            continue
        found = from_launch_folder(value, launch_folder)
        if found != value:
            raw[section] = {**raw[section], key: found}
            moved[(section, key)] = (value, found)
    cfg = config_from_dict(raw, source=source, overrides=overrides, data_file=data_file)
    kept = cfg.to_dict()
    for (section, key), (value, found) in moved.items():
        if kept[section].get(key) == found:
            logger.info(
                "%s.%s %s read from the run's launch folder %s (the checkpoint was trained there)",
                section,
                key,
                value,
                launch_folder,
            )
    return cfg


def _weights_name(section: str, key: str, value: str) -> bool:
    """Whether ``value`` of ``model.backbone_weights`` names torchvision weights
    (``imagenet``, ``IMAGENET1K_V2``: ``detseg.backbones.weights.resolve_weights_path``)
    rather than a file."""
    return (section, key) == ("model", "backbone_weights") and (
        value == "imagenet" or value.upper().startswith("IMAGENET1K_")
    )
