"""The data section to check: from an experiment config or from a data file.

An experiment config (a file with a ``model`` or ``_base_`` key, or a ``data`` section beside
other config sections such as ``train``) is read with :func:`detseg.config.load_config`,
overrides and all. A config that has no ``model`` once its bases are merged (a base fragment
such as ``configs/_base_/voc_0712.yaml``, or a file composing only such fragments) needs none
for a data check: its merged ``data`` section is taken as it stands. Anything else is a data
file (a detseg data file or an Ultralytics data yaml, :func:`detseg.config.load_data_file`).
A dataset folder stands for its ``data.yaml``, else for the default keys of its layout (a
detection layout, else a segmentation one: :data:`detseg.config.data_root.LAYOUTS`). A data
file whose ``root`` is another folder while its own folder holds the dataset (a copied folder)
is warned about as training warns (:func:`detseg.config.data_root.warn_root_elsewhere`).
``--set data.KEY=VALUE`` overrides apply to these sections as they do to a config's. Every
section is checked as a training run checks its data section
(:func:`detseg.config.data_file.check_data_section`): a value a run would refuse
(``load_masks: maybe``, ``train_ann: [a, b]``, ``classes: 5``) is refused here with the same
message, naming the file, the ``_base_`` file or the ``--set`` item that wrote it.

A data section names a ``train`` and a ``val`` split; the held-out ``test`` split is found
where the val split lies with ``val`` changed to ``test`` (:func:`held_out_section`), the
layout ``tools/make_shapes.py`` and ``tools/convert_dataset.py`` write.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detseg.config import ConfigError, load_config, load_data_file, resolve_config_path
from detseg.config.bases import BASE_KEY, compose, read_yaml
from detseg.config.data_file import check_data_section
from detseg.config.data_root import layout_format, layouts_text, warn_root_elsewhere
from detseg.config.data_section import DEFAULT_FORMAT, switch_format
from detseg.config.error_blame import blame_base, blame_override, overrides_named
from detseg.config.overrides import parse_override
from detseg.config.schema import Config
from detseg.data.class_names import root_class_file
from detseg.data.registry import DATA_DEFAULTS
from detseg.detection.mask_rcnn import MASK_RCNN_MODELS
from detseg.named_settings import NameOnly, SettingError, literal

__all__ = ["default_out_dir", "is_experiment_config", "load_data_section", "held_out_section"]


#: Top-level keys that make a YAML file an experiment config rather than a data file.
CONFIG_KEYS = ("model", BASE_KEY)

#: The top-level keys of an experiment config (``model``, ``data``, ``train``, ...).
_CONFIG_SECTIONS = frozenset(f.name for f in dataclasses.fields(Config))

#: A name of the validation split inside a path (a whole word: ``val/images``,
#: ``instances_val.json``, ``images/valid``), changed to ``test`` for the test split.
_VAL_WORD = re.compile(r"(?<![A-Za-z0-9])(val|valid|validation)(?![A-Za-z0-9])")
_TEST_WORD = re.compile(r"(?<![A-Za-z0-9])test(?![A-Za-z0-9])")


def is_experiment_config(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an experiment config: it has a ``model`` or ``_base_`` key, or a
    ``data`` section beside other config sections only (a base fragment with ``data`` and
    ``train``).

    Raises:
        ConfigError: the file is missing, not YAML, or not a mapping.
    """
    raw = read_yaml(Path(path), what="config or data file")
    if any(key in raw for key in CONFIG_KEYS):
        return True
    return "data" in raw and len(raw) > 1 and set(raw) <= _CONFIG_SECTIONS


def _modelless_data_section(
    raw: dict[str, Any],
    path: str | os.PathLike[str],
    overrides: Sequence[str],
    origins: dict[str, str],
) -> dict[str, Any]:
    """The data section of a composed config ``raw`` without ``model``, overrides applied and
    checked; ``origins``: the file that wrote each key (from :func:`compose`), which an error
    about a value no override set names."""
    unknown = sorted(str(key) for key in raw if key not in _CONFIG_SECTIONS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown top-level key(s) {', '.join(unknown)} (with its bases); a config "
            f"has {', '.join(sorted(_CONFIG_SECTIONS))}"
        )
    data = raw.get("data")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: no 'data:' section in the file or its bases: name a data file in "
            f"'{BASE_KEY}' (a packaged one: datasets/coco, datasets/voc, ...) or write the section"
        )
    section = {"format": DEFAULT_FORMAT, "root": "", **data}
    return _apply_data_overrides(section, overrides, str(Path(path).expanduser()), origins)


def _apply_data_overrides(
    section: dict[str, Any],
    overrides: Sequence[str],
    source: str,
    origins: dict[str, str] | None = None,
    *,
    keep_root: bool = False,
) -> dict[str, Any]:
    """``section`` with ``data.KEY=VALUE`` overrides applied (``data.format`` first), then
    checked as a training run checks a data section
    (:func:`~detseg.config.data_file.check_data_section`).

    Args:
        section: the flat data section of ``source``.
        overrides: ``data.KEY=VALUE`` items.
        source: the file (or folder) the section comes from, named by an error about a value
            that no override set.
        origins: the ``_base_`` file that wrote each dotted key (``data.load_masks``), named
            instead of ``source`` where it wrote the wrong value.
        keep_root: whether ``data.format`` of another format keeps the section's ``root``
            (a dataset folder's, a data file's: the folder holds the data whatever format reads
            it, as a VOC2012 folder holds ``voc`` and ``voc_seg``); a config's switch starts
            afresh as training's does (:func:`~detseg.config.data_section.switch_format`).
            ``data.root=...`` sets the root in either case.

    Raises:
        ConfigError: an item that is no ``data.KEY=VALUE``, a value that does not parse, an
            unknown key, a key of another format, a value of the wrong type; the items named
            as the caller gave them (``overrides=[...]`` from Python, ``--set`` from a tool:
            :func:`~detseg.config.error_blame.overrides_named`).
    """
    try:
        return _overridden(section, overrides, source, origins or {}, keep_root)
    except ConfigError as err:
        raise overrides_named(err, list(overrides)) from None


def _overridden(
    section: dict[str, Any],
    overrides: Sequence[str],
    source: str,
    origins: dict[str, str],
    keep_root: bool,
) -> dict[str, Any]:
    """:func:`_apply_data_overrides`, its messages naming the items as ``--set`` writes them."""
    parsed = []
    for item in overrides:
        key, sep, _ = item.partition("=")
        key = key.strip()
        if not sep or not key.startswith("data.") or "." in key[len("data.") :]:
            raise ConfigError(
                f"--set {item!r}: a data file takes only data.KEY=VALUE overrides "
                "(e.g. data.root=datasets/shapes)"
            )
        parsed.append(parse_override(item))  # (data.KEY, value, --set item) as load_config
    formats = [item for item in parsed if item[0] == "data.format"][-1:]  # the last one wins
    others = [item for item in parsed if item[0] != "data.format"]
    for key_path, value, _ in [*formats, *others]:
        key = key_path[len("data.") :]
        if key == "format":
            section = switch_format(section, str(value), keep=("root",) if keep_root else ())
        else:
            section[key] = value
    try:
        return check_data_section(section, source)
    except ConfigError as err:  # the override that set the key, else the file that wrote it
        raise blame_base(blame_override(err, source, parsed), source, origins) from None


def load_data_section(
    path: str | os.PathLike[str], overrides: Sequence[str] = ()
) -> tuple[dict[str, Any], str]:
    """The flat data section described by ``path``.

    Args:
        path: An experiment config, a data file, or a dataset folder (:func:`_folder_section`);
            a path that does not exist may name a packaged config or data file
            (:func:`detseg.config.resolve_config_path`: ``demo``, ``datasets/voc``).
        overrides: ``--set`` strings (``"data.root=/data/x"``; any config key for a config
            with a model, ``data.*`` keys for the others).

    Returns:
        ``({"format", "root", **format keys}, kind)`` without ``augmentations`` (the check
        reads the data as stored), ``kind`` being ``"config"``, ``"data file"`` or
        ``"<format> folder"``. The
        config of a mask model (Mask R-CNN) on COCO data gets ``load_masks: true``, as its
        training run does (:func:`detseg.engine.training.train_data.require_instance_masks`),
        so that the instance masks are checked.

    Raises:
        ConfigError: The file is missing or invalid, or an override is; a folder without a
            ``data.yaml`` in none of the default layouts.
    """
    path = resolve_config_path(path, what="config or data file", folders=True)
    if Path(path).is_dir():
        return _folder_section(Path(path), overrides)
    if is_experiment_config(path):
        origins: dict[str, str] = {}
        raw = compose(path, origins=origins)
        if "model" in raw:
            cfg = load_config(path, overrides)
            section = cfg.data.dataset_kwargs()
            if cfg.model.name in MASK_RCNN_MODELS and section.get("format") == "coco":
                section["load_masks"] = True  # training reads the masks of a mask model's data
        else:
            section = _modelless_data_section(raw, path, overrides, origins)
        kind = "config"
    else:
        source = str(Path(path).expanduser())
        section = _apply_data_overrides(load_data_file(path), overrides, source, keep_root=True)
        warn_root_elsewhere(path, section)
        kind = "data file"
    section.pop("augmentations", None)
    return section, kind


def _folder_section(folder: Path, overrides: Sequence[str]) -> tuple[dict[str, Any], str]:
    """The data section of a dataset folder: its ``data.yaml`` (as ``tools/convert_dataset.py``
    and Ultralytics exports put there), else ``{"format", "root"}`` of the format whose layout
    the folder has (:data:`detseg.config.data_root.LAYOUTS`: ``annotations/instances_<split>.json``:
    coco; ``Annotations/`` and ``ImageSets/Main/``: voc, with its ``classes.txt`` when there;
    ``images/`` and ``labels/``: yolo; ``SegmentationClass/`` and ``ImageSets/Segmentation/``:
    voc_seg; ``images/`` and ``masks/``: folder_seg), its other keys taking the format's
    defaults (:data:`detseg.data.registry.DATA_DEFAULTS`) as a data file's do. The detection
    layouts are tried first: a VOC2012 folder with ``Annotations/`` + ``ImageSets/Main/`` is
    voc, a folder with ``labels/`` and ``masks/`` beside ``images/`` is yolo (``--set
    data.format=voc_seg`` or a data file checks it as segmentation data). ``--set
    data.format=...`` keeps the root (the folder, or its data.yaml's) unless ``data.root`` is
    set too."""
    if (folder / "data.yaml").is_file():
        data_yaml = folder / "data.yaml"
        from_file = _apply_data_overrides(
            load_data_file(data_yaml), overrides, str(data_yaml), keep_root=True
        )
        from_file.pop("augmentations", None)
        warn_root_elsewhere(folder / "data.yaml", from_file)
        return from_file, f"data file {folder / 'data.yaml'}"
    fmt = layout_format(folder)
    if fmt is None:
        raise ConfigError(
            f"{folder} is a folder without a data.yaml and in no default layout "
            f"({layouts_text()}): give a config or data file"
        )
    section: dict[str, Any] = {"format": fmt, "root": str(folder)}
    class_file = root_class_file(folder) if fmt == "voc" else None
    if class_file is not None:  # the rule the voc_seg reader follows without data.classes
        section["classes"] = class_file.relative_to(folder).as_posix()
    section = _apply_data_overrides(section, overrides, str(folder), keep_root=True)
    return section, f"{section['format']} folder"  # the format checked (--set data.format)


def default_out_dir(
    section: dict[str, Any], base: str | os.PathLike[str] = "runs/check_data"
) -> Path:
    """``<base>/<name of the data root>`` (``<base>/data`` when the root has no name)."""
    name = Path(os.path.abspath(str(section.get("root") or "."))).name or "data"
    return Path(base) / name


#: The val split alone, as a check of the test split under the val split's keys names it:
#: ``splits=['val']`` from Python, ``--splits val`` from ``tools/check_data.py``.
_VAL_SPLIT = NameOnly("splits=['val']", "val")


def held_out_section(section: dict[str, Any]) -> dict[str, Any]:
    """``section`` with its ``val`` keys pointed at the held-out ``test`` split.

    Every ``val_*`` path or split name (given, or the format's default) gets ``test`` for its
    ``val`` word: ``val/images`` -> ``test/images``, ``annotations/instances_val.json`` ->
    ``annotations/instances_test.json``, ``images/val`` -> ``images/test``, split ``val`` ->
    ``test`` (VOC, shapes_seg). Building the result's ``val`` split builds the test split.

    Raises:
        SettingError: (a ``ValueError``) the val split is the test split already (VOC's
            default ``val_split``), or a ``val_*`` value holds no ``val`` word to change (the
            message names the key); the check it advises names the settings as the caller
            gives them: ``splits=['val']`` of :func:`~detseg.dataset_check.check_dataset` and
            ``overrides`` of :func:`load_data_section` from Python, ``--splits val`` and
            ``--set`` from ``tools/check_data.py``.
    """
    fmt = str(section.get("format") or DEFAULT_FORMAT)
    full = {**DATA_DEFAULTS.get(fmt, {}), **section}
    keys = [key for key, value in full.items() if key.startswith("val_") and isinstance(value, str)]
    for key in keys:
        if _TEST_WORD.search(full[key]):
            raise SettingError(
                f"the val split is the test split already (data.{key} {literal(repr(full[key]))})"
                ": check it with {splits}",
                splits=_VAL_SPLIT,
            )
    changed = {key: _VAL_WORD.sub("test", full[key]) for key in keys}
    for key in keys:
        if changed[key] == full[key]:
            raise SettingError(
                f"no test split: data.{key} {literal(repr(full[key]))} has no 'val' to change "
                "into 'test'; check the test split as val ({splits} {overrides})",
                splits=_VAL_SPLIT,
                overrides=NameOnly(f"overrides=['data.{key}=...']", f"data.{key}=..."),
            )
    return {**section, **changed}
