"""The configs that come with detseg, named without a path, from any folder.

The wheel (``pip install .``) carries every file of the checkout's ``configs/`` folder as the
package ``detseg_configs`` (setup.py maps ``configs/`` to it as it maps ``tools/`` to
``detseg_tools``), so that a pip user trains without a checkout, as with Ultralytics'
``yolo train model=yolov8n.yaml``: ``detseg-train demo``. An editable install
(``pip install -e .``) maps the same name to the checkout's ``configs/`` folder.

:func:`resolve_config_path` is the one place where a config path given by a user is looked up
(:func:`detseg.config.load_config` calls it, so every tool and ``detseg.engine.train`` get it,
and so do :func:`detseg.config.load_data_file` and the dataset check, which take a config or a
data file). In this order:

1. a file that exists is used as it is (so is a folder where a tool takes one: the dataset
   check's dataset folders): a file of the current folder wins over a packaged config of the
   same name, while a folder does not hide one (the checkout's ``datasets/shapes/`` and the
   packaged data file ``datasets/shapes``);
2. else a packaged config by its name relative to ``configs/``, with or without ``.yaml`` and
   with or without a leading ``configs/``: ``demo``, ``demo.yaml``, ``configs/demo.yaml`` and
   ``faster_rcnn/faster_rcnn_r50_fpn_coco`` all name a packaged file; one INFO line names the
   file read;
3. else a :class:`~detseg.config.schema.ConfigError` naming what was given, the closest
   packaged names and how to list them (:func:`packaged_configs`, ``tools/train.py
   --list-configs``).

A packaged config's ``_base_`` is relative to its own file (:mod:`detseg.config.bases`), so it
resolves inside the package; a ``_base_`` entry found nowhere next to the file that names it is
looked up here as a packaged name (:func:`packaged_file`): a user config in any folder may say
``_base_: demo`` or ``_base_: [faster_rcnn/faster_rcnn_r50_fpn_coco, datasets/voc]``. A run's
``config.yaml`` and its checkpoints hold the resolved config, not the path it came from:
``--resume`` and ``tools/eval.py`` never need the configs folder.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from detseg.config.schema import ConfigError
from detseg.config.suggest import close_names

logger = logging.getLogger(__name__)

__all__ = [
    "LISTED_FOLDER",
    "LISTED_KINDS",
    "PACKAGE",
    "PackagedConfig",
    "closest_packaged",
    "packaged_config_dir",
    "packaged_file",
    "packaged_name",
    "name_of_packaged",
    "packaged_configs",
    "resolve_config_path",
]

#: The package that holds the checkout's ``configs/`` folder once installed (setup.py).
PACKAGE = "detseg_configs"

#: The longest description of a packaged config (one line of ``--list-configs``).
DESCRIPTION_WIDTH = 90

#: What the error of an unknown name says to run to see the names.
LIST_HINT = "list the packaged configs with detseg-train --list-configs (tools/train.py)"


class PackagedConfig(NamedTuple):
    """A config file that comes with detseg.

    Attributes:
        name: its path relative to ``configs/`` without ``.yaml`` (``faster_rcnn/x``), what
            :func:`resolve_config_path` takes.
        path: the file.
        description: the first sentence of its opening comment (every packaged config
            starts with one saying what it is), at most :data:`DESCRIPTION_WIDTH` characters;
            ``""`` if it has none.
    """

    name: str
    path: Path
    description: str

    @property
    def kind(self) -> str:
        """``"base"`` (a ``_base_/`` part), ``"data"`` (a data file of ``datasets/``, what
        ``--data`` takes) or ``"experiment"`` (a config to train)."""
        top = self.name.split("/", 1)[0]
        return {"_base_": "base", "datasets": "data"}.get(top, "experiment")


def packaged_config_dir() -> Path | None:
    """The folder of the packaged configs: the installed package :data:`PACKAGE`, else the
    ``configs/`` folder of the checkout this module lies in (a checkout used without
    installing it, or installed before the configs were packaged); ``None`` if neither is
    there."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is not None:  # a folder without __init__.py: the locations of a namespace package
        for location in spec.submodule_search_locations or ():
            if Path(location).is_dir():
                return Path(location)
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "configs").is_dir():
        return root / "configs"
    return None


def packaged_configs() -> list[PackagedConfig]:
    """Every packaged YAML file (experiment configs, their ``_base_/`` parts and the data
    files of ``datasets/``), sorted by name; ``[]`` when there is no packaged folder."""
    folder = packaged_config_dir()
    if folder is None:
        return []
    found = [
        PackagedConfig(
            path.relative_to(folder).with_suffix("").as_posix(), path, _description(path)
        )
        for path in folder.rglob("*.yaml")
        if path.is_file()
    ]
    return sorted(found, key=lambda config: config.name)


#: The groups of :func:`config_listing`, in order, with their headings.
LISTED_KINDS = {
    "experiment": "Configs to train (CONFIG):",
    "data": "Data files (--data NAME: replace a config's data section):",
    "base": "Bases (_base_: shared parts of the configs above):",
}

#: The last line of :func:`config_listing`, before the folder of the files.
LISTED_FOLDER = "Their files (copy one to change it):"


def config_listing() -> list[str]:
    """The lines of ``tools/train.py --list-configs``: each packaged config's name (what
    CONFIG takes) and what it is, in the groups of :data:`LISTED_KINDS`; then the folder that
    holds them (an installed detseg has no configs/ folder: a config to change is copied from
    there).

    Raises:
        ConfigError: no packaged configs (the package :data:`PACKAGE` is not installed).
    """
    configs = packaged_configs()
    if not configs:
        raise ConfigError(
            f"no packaged configs found (the package {PACKAGE} is not installed); "
            "reinstall detseg with pip install ."
        )
    width = max(len(config.name) for config in configs)
    lines = []
    for kind, title in LISTED_KINDS.items():
        lines.append(title)
        lines += [
            f"  {config.name:<{width}}  {config.description}".rstrip()
            for config in configs
            if config.kind == kind
        ]
    lines.append(f"{LISTED_FOLDER} {packaged_config_dir()}")
    return lines


def resolve_config_path(
    path: str | os.PathLike[str], what: str = "config file", folders: bool = False
) -> Path:
    """The file that ``path`` names: the path itself when it exists, else a packaged config
    of that name (the order of the module docstring).

    Args:
        path: what the user gave: a path (``~`` is the home folder) or a packaged name.
        what: what the file is, for the error (``"config file"``, ``"data file"``).
        folders: whether the caller takes a folder (a dataset folder for the dataset check).
            Without, an existing folder of that name does not hide a packaged file: the
            checkout's ``datasets/shapes/`` folder and the data file ``datasets/shapes``.

    Returns:
        ``Path(path)`` when it is a file (or a folder, with ``folders``), else the packaged
        file of that name; else ``Path(path)`` when it exists (the caller says what is wrong
        with a folder).

    Raises:
        ConfigError: neither a path nor a packaged name: ``<what> not found: <path>``, and for
            a relative name the closest packaged names and how to list them.
    """
    given = Path(path)
    there = given.expanduser()
    if there.is_file() or (folders and there.exists()):
        return given
    name = packaged_name(os.fspath(path))
    found = packaged_file(os.fspath(path))
    if found is not None:
        logger.info("%s: the packaged config %s", path, found)
        return found
    if there.exists():  # a folder where a file is wanted, and no packaged file of its name
        return given
    if name is None or packaged_config_dir() is None:
        raise ConfigError(f"{what} not found: {there}")
    close = closest_packaged(name)
    hint = f"; closest packaged configs: {', '.join(close)}" if close else ""
    raise ConfigError(
        f"{what} not found: {path} (no such file, nor a packaged config '{name}'){hint}; "
        f"{LIST_HINT}"
    )


def packaged_file(name: str) -> Path | None:
    """The packaged file that ``name`` names (``demo``, ``demo.yaml``, ``configs/demo.yaml``,
    ``datasets/voc``), or ``None``: no packaged folder, no such file, or a text that is no
    packaged name (an absolute path, ``~``, ``..``)."""
    relative = packaged_name(name)
    folder = packaged_config_dir()
    if relative is None or folder is None:
        return None
    found = folder / f"{relative}.yaml"
    return found if found.is_file() else None


def closest_packaged(text: str) -> list[str]:
    """Up to three packaged names closest to ``text`` (a name or a path: ``../_base_/x.yaml``
    is compared as ``_base_/x``), for a message about a name that is not there."""
    name = packaged_name(text)
    if name is None:  # a path: compared without its '..', '~' and leading '/' parts
        parts = [part for part in PurePosixPath(text).parts if part not in ("..", ".", "/")]
        name = packaged_name("/".join(part for part in parts if not part.startswith("~")))
    if name is None:
        return []
    return _closest(name, [config.name for config in packaged_configs()])


def _closest(name: str, names: list[str]) -> list[str]:
    """The packaged names closest to ``name``: first those ending in its last part (``voc``
    and ``coco.yaml`` name ``datasets/voc`` and ``datasets/coco``), then the most similar."""
    last = name.rsplit("/", 1)[-1]
    same_end = [other for other in names if other.rsplit("/", 1)[-1] == last]
    similar = [other for other in close_names(name, names) if other not in same_end]
    return (same_end + similar)[:3]


def name_of_packaged(path: str | os.PathLike[str]) -> str | None:
    """The packaged name of ``path`` (``datasets/voc`` for ``.../detseg_configs/datasets/voc.yaml``)
    when it is a packaged file, else ``None``: what a message suggests to type."""
    folder = packaged_config_dir()
    if folder is None:
        return None
    try:
        relative = Path(path).resolve().relative_to(folder.resolve())
    except ValueError:  # not inside the packaged folder
        return None
    return relative.with_suffix("").as_posix()


def packaged_name(text: str) -> str | None:
    """``text`` as a packaged name (what :func:`packaged_file` looks up): without a leading
    ``configs/`` or a trailing ``.yaml``; ``None`` for what cannot be one (an absolute path,
    ``~``, ``..``)."""
    parts = PurePosixPath(text).parts
    if not parts or text.startswith("~") or PurePosixPath(text).is_absolute() or ".." in parts:
        return None
    if parts[0] == "configs":
        parts = parts[1:]
    name = "/".join(parts).removesuffix(".yaml")
    return name or None


def _description(path: Path) -> str:
    """The first sentence of the comment that opens ``path`` (its ``#`` lines up to an empty
    one or an indented example), cut to :data:`DESCRIPTION_WIDTH` characters; ``""`` when the
    file opens with no comment."""
    words: list[str] = []
    with path.open(encoding="utf-8") as file:
        for line in file:
            text = line.strip()
            if not text.startswith("#") or not text.lstrip("#").strip() or text.startswith("#  "):
                break
            words.append(text.lstrip("#").strip())
    # a sentence ends at a full stop and a space, but not at "et al. "
    sentence = re.split(r"(?<=\.)(?<!al\.)\s", " ".join(words), maxsplit=1)[0]
    if len(sentence) <= DESCRIPTION_WIDTH:
        return sentence
    return sentence[: DESCRIPTION_WIDTH - 3].rsplit(" ", 1)[0] + " ..."
