"""The path-valued keys of a config, and ``~`` in them.

A path in a config may start with ``~`` (``work_dir: ~/runs``, ``data.root: ~/datasets/coco``),
as in a shell: it is the user's home folder, as Ultralytics and MMDetection read it too. The
loader expands it once, when the config is loaded (:func:`expand_user_paths`), so every tool
and the resolved ``config.yaml`` of a run see the real folder, never a folder named ``~`` in
the current directory. The keys that are paths:

- ``work_dir``;
- ``model.init_from`` (``torchvision:<name>`` is no path and stays) and
  ``model.backbone_weights`` (``imagenet`` stays);
- ``data.root`` and the data format keys of :data:`DATA_PATH_KEYS` (relative to the root
  unless absolute; ``~/x`` is absolute once expanded).

Only a leading ``~`` or ``~user`` changes (``os.path.expanduser``); other text is kept as it
is written, relative paths included (they are relative to the current directory).
"""

from __future__ import annotations

import os

from detseg.config.schema import Config

#: Model keys that are paths (a builder may take them; ``init_from`` is a schema field).
MODEL_PATH_KEYS: tuple[str, ...] = ("backbone_weights",)

#: Data format keys that are paths (relative to ``data.root`` unless absolute); ``classes``
#: is a path when it is a string (a list of names is no path).
DATA_PATH_KEYS: tuple[str, ...] = (
    "train_images",
    "val_images",
    "train_ann",
    "val_ann",
    "train_labels",
    "val_labels",
    "train_masks",
    "val_masks",
    "classes",
)


def expand_user_path(value: object) -> object:
    """``os.path.expanduser(value)`` for a string starting with ``~``; any other value (a
    null, a list of class names) as it is."""
    if isinstance(value, str) and value.startswith("~"):
        return os.path.expanduser(value)
    return value


def expand_user_paths(config: Config) -> None:
    """Expand ``~`` in every path-valued key of ``config`` in place (the keys of the module
    docstring)."""
    if config.work_dir is not None:
        config.work_dir = os.path.expanduser(config.work_dir)
    if config.model.init_from is not None:
        config.model.init_from = os.path.expanduser(config.model.init_from)
    for key in MODEL_PATH_KEYS:
        if key in config.model.kwargs:
            config.model.kwargs[key] = expand_user_path(config.model.kwargs[key])
    config.data.root = os.path.expanduser(config.data.root)
    for key in DATA_PATH_KEYS:
        if key in config.data.options:
            config.data.options[key] = expand_user_path(config.data.options[key])
