"""Reading config files: ``_base_`` composition, data files, ``--set`` overrides, validation.

:func:`load_config` builds a :class:`~detseg.config.schema.Config` in four steps:

1. **Files** (:mod:`detseg.config.bases`). ``_base_`` names a file or a list of files, relative
   to the file that names them; bases may have bases of their own, to any depth. A list merges
   in order (later wins), then the file itself on top: nested dicts merge key by key, lists and
   scalars are replaced; a section written empty or null (``eval:`` with nothing under it,
   ``train: null``) changes nothing, so the base's values stay. A cycle is an error showing
   the chain (``a.yaml -> b.yaml -> a.yaml``); each file's unknown keys are reported naming
   that file, and so is a key written twice in one mapping (which plain ``yaml.safe_load``
   would let the last one win).
2. **Data file** (:mod:`detseg.config.data_file`, ``data_file=`` / ``tools/train.py --data``).
   A detseg data file or an Ultralytics data yaml replaces the merged ``data`` section; the
   config's ``augmentations`` stay unless the data file has its own. The data file's section
   is checked when it is read, as step 4 checks a config's, so that an error names the data
   file rather than the config.
3. **Overrides** (``--set a.b=value``, :mod:`detseg.config.overrides`), parsed by the type of
   the field they set; a mapping
   (``--set model.rpn={nms_thresh: 0.6}``) merges into the mapping it lands on, as a file
   merges over its bases (``--set model.rpn=null model.rpn={...}`` replaces it). An empty
   value of a key that takes no null (``--set train.epochs=``) is an error saying so. After
   ``--set model.name=retinanet`` on another model's config, a file's model key set to null
   (``--set model.fpn=null``) is dropped when the new model does not take it; the error of
   such a key says the model was switched and names that way. So is a key of another model
   set to null in a file that sets ``model.name`` over a ``_base_`` of another model
   (``fpn: null`` under ``model:``), whose error says so too. Those of
   ``data.format`` are applied first, whatever their place on the command line, so
   ``--set data.root=/x data.format=voc`` keeps the root. From Python, a mapping of dotted
   keys to values (``{"train.epochs": 1}``) works too: its values are taken as they are (not
   parsed from text) and checked like any other.
4. **Validation** into the dataclasses (types, then each section's ranges;
   :mod:`detseg.config.dataclass_building`), the model kwargs
   against the builder's signature and its parameters' types
   (:mod:`detseg.config.model_section`), the data keys against the format's
   (``detseg.data.registry.DATA_DEFAULTS``; its switches such as ``load_masks`` must be
   bools). An error names the file that wrote the wrong value (a ``_base_`` file, when the
   experiment file does not write that key itself), or the ``--set`` item that set it
   (:mod:`detseg.config.error_blame`; a switched ``model.name``:
   :mod:`detseg.config.model_switch`).
   Then ``~`` is expanded in the path-valued keys (``work_dir: ~/runs``; the keys are listed
   in :mod:`detseg.config.paths`), so the resolved config names the real folders.

Switching formats (:mod:`detseg.config.data_section`): when a file merged over its bases, or a
``--set data.format=X``, sets ``data.format`` to another format than the section it lands on
has, that section is replaced: ``augmentations`` is kept, ``root`` and every key of the old
format are dropped, and the new format starts from its own defaults. A key of another format
that is set afterwards (``--set data.format=voc data.train_images=x``) is an error saying
which format takes it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from detseg.config.bases import BASE_KEY, compose, deep_merge, read_yaml
from detseg.config.data_file import load_data_file, replace_data_section
from detseg.config.data_root import warn_root_elsewhere
from detseg.config.data_section import check_data_options
from detseg.config.dataclass_building import build, check_keys
from detseg.config.error_blame import blame_base, blame_override, overrides_named
from detseg.config.model_section import check_model_section
from detseg.config.model_switch import (
    file_model_switch_hint,
    model_name,
    model_switch_hint,
    nulled_model_keys,
)
from detseg.config.overrides import FORMAT_OVERRIDE, Overrides, override_items, set_override
from detseg.config.packaged import name_of_packaged, resolve_config_path
from detseg.config.paths import expand_user_paths
from detseg.config.schema import Config, ConfigError, DataConfig
from detseg.config.task_keys import warn_ignored_segmentation_keys


def load_config(
    path: str | os.PathLike[str],
    overrides: Overrides = (),
    data_file: str | os.PathLike[str] | None = None,
) -> Config:
    """Read a YAML config with its ``_base_`` files, apply a data file and ``--set`` overrides,
    validate (the steps of the module docstring).

    Args:
        path: the experiment file, or the name of a packaged config (``demo``,
            ``faster_rcnn/faster_rcnn_r50_fpn_coco``; a file that exists comes first:
            :func:`~detseg.config.packaged.resolve_config_path`).
        overrides: ``"a.b=value"`` strings (as ``--set`` takes them, each value parsed by
            the type of its field), or a mapping of dotted keys to values
            (``{"train.epochs": 1, "model.min_size": [480, 512]}``, values as they are);
            applied after the files are merged and the data file applied: those of
            ``data.format`` first, then the others in order.
        data_file: a data file (:func:`~detseg.config.data_file.load_data_file`) whose section
            replaces the config's ``data`` section (the config's ``augmentations`` stay unless
            it has its own).

    Returns:
        The validated :class:`Config`.

    Raises:
        ConfigError: an unreadable or missing file or base (a name that is no packaged config
            either: the closest names), a ``_base_`` cycle, an unknown key, a key of another
            data format, a wrong type; an override named as given (``overrides=['a.b=1']``,
            ``--set a.b=1`` by ``error.naming({"overrides": "--set"})``:
            :func:`~detseg.config.error_blame.overrides_named`).
        TypeError: ``overrides`` is neither a list of strings nor a mapping.
    """
    if isinstance(overrides, Iterator):  # a generator: read once here, used more than once
        overrides = list(overrides)
    try:
        return _loaded(path, overrides, data_file)
    except ConfigError as err:
        raise overrides_named(err, overrides) from None


def _loaded(
    path: str | os.PathLike[str], overrides: Overrides, data_file: str | os.PathLike[str] | None
) -> Config:
    """:func:`load_config`, its errors naming an override as the tools' ``--set`` item."""
    path = resolve_config_path(path)
    origins: dict[str, str] = {}
    try:
        raw = compose(
            path,
            check=lambda layer, source: check_keys(layer, Config, source, ""),
            origins=origins,
        )
    except ConfigError as err:
        raise _data_file_given_as_config(err, path) from None
    if data_file is not None:  # the data section is the data file's, which names itself
        origins = {k: v for k, v in origins.items() if k.split(".")[0] != "data"}
    try:
        return _validated(raw, str(path), overrides, data_file)
    except ConfigError as err:
        err = blame_base(err, str(path), origins)
        model_keys = dict(raw["model"]) if isinstance(raw.get("model"), dict) else {}
        for key in nulled_model_keys(override_items(overrides)):  # --set model.fpn=null
            model_keys.pop(key, None)
        raise file_model_switch_hint(err, model_name(raw), origins, model_keys) from None


def as_config(cfg: Config | str | os.PathLike[str] | dict[str, Any]) -> Config:
    """``cfg`` as a :class:`Config`: a config passes as it is, a path (or a packaged config's
    name, ``"demo"``) is read with :func:`load_config` and a dict (the YAML layout, no
    ``_base_``) validated with :func:`config_from_dict`, so that
    ``detseg.engine.train("configs/demo.yaml", "runs/x")`` works as ``tools/train.py`` does.

    Raises:
        ConfigError: what :func:`load_config` or :func:`config_from_dict` raise.
        TypeError: ``cfg`` is none of these (naming its type and what to give).
    """
    if isinstance(cfg, Config):
        return cfg
    if isinstance(cfg, (str, os.PathLike)):
        return load_config(cfg)
    if isinstance(cfg, dict):
        return config_from_dict(cfg)
    raise TypeError(
        f"a config is a detseg.config.Config, a YAML file path or a dict, got "
        f"{type(cfg).__name__}; read a file with detseg.config.load_config(path, overrides)"
    )


def config_from_dict(
    raw: dict[str, Any],
    source: str = "<dict>",
    overrides: Overrides = (),
    data_file: str | os.PathLike[str] | None = None,
) -> Config:
    """Validate a plain dict (e.g. a checkpoint's ``config``) into a :class:`Config`.

    Args:
        raw: nested dict in the YAML layout (no ``_base_``); not modified.
        source: name used in error messages (a file path or ``"<checkpoint>"``).
        overrides: ``"a.b=value"`` strings or a mapping of dotted keys to values, applied
            before validation (``data.format`` first; see :func:`load_config`).
        data_file: a data file whose section replaces ``raw``'s ``data`` section, before the
            overrides (see :func:`load_config`).

    Raises:
        ConfigError: as :func:`load_config`, an override named as the caller gave it.
        TypeError: ``overrides`` is neither a list of strings nor a mapping.
    """
    try:
        return _validated(raw, source, overrides, data_file)
    except ConfigError as err:
        raise overrides_named(err, overrides) from None


def _validated(
    raw: dict[str, Any],
    source: str,
    overrides: Overrides,
    data_file: str | os.PathLike[str] | None,
) -> Config:
    """:func:`config_from_dict`, its errors naming an override as the tools' ``--set`` item."""
    raw = deep_merge({}, raw)  # deep copy
    if BASE_KEY in raw:
        raise ConfigError(f"{source}: '{BASE_KEY}' is only allowed in a config file")
    if data_file is not None:
        raw = replace_data_section(raw, load_data_file(data_file))
    items = override_items(overrides)
    formats = [item for item in items if item[0] == FORMAT_OVERRIDE][-1:]  # the last one wins
    others = [item for item in items if item[0] != FORMAT_OVERRIDE]
    file_model = model_name(raw)
    file_keys = set(raw["model"]) if isinstance(raw.get("model"), dict) else set()
    droppable = nulled_model_keys(items) & file_keys  # another model's keys, set to null
    data_only = set(raw) == {"data"}
    for key_path, value, where in [*formats, *others]:
        set_override(raw, key_path, value, source, where)
    if data_only and model_name(raw) is None:
        raise _data_file_as_config(source)
    try:
        config = build(Config, raw, source, "")
        check_model_section(config.model, source, droppable=droppable)
        _check_data_options(config.data, source)
    except ConfigError as err:
        err = blame_override(err, source, items)
        model_keys = raw["model"] if isinstance(raw.get("model"), dict) else {}
        raise model_switch_hint(err, file_model, model_name(raw), items, model_keys) from None
    expand_user_paths(config)
    if data_file is not None:  # a copied dataset folder whose data.yaml names the original
        warn_root_elsewhere(data_file, {"format": config.data.format, "root": config.data.root})
    warn_ignored_segmentation_keys(config.eval, config.model.name, source)
    return config


def _data_file_as_config(source: str, what: str = "") -> ConfigError:
    """The error of a data file given as the experiment config: it goes with ``--data``,
    after a model config. ``what``: what the file holds, when it is not a ``data:`` section."""
    found = what or "'model.name' is required, and this file has only a data section"
    data = name_of_packaged(source) or source
    return ConfigError(
        f"{source}: {found}: a data file goes with a model config, e.g. detseg-train demo "
        f"--data {data} (tools/train.py), in Python load_config('demo', data_file={data!r})"
    )


def _data_file_given_as_config(err: ConfigError, path: str | os.PathLike[str]) -> ConfigError:
    """``err`` (an unknown top-level key of the experiment file ``path``), or, when the file
    is the keys of a data section (``format: coco``) or an Ultralytics data yaml, the error
    saying to give it with ``--data``."""
    if not str(err).startswith(f"{Path(path).expanduser()}: unknown key '"):
        return err
    try:
        keys = set(read_yaml(Path(path).expanduser()))
    except ConfigError:
        return err
    if "format" in keys:
        return _data_file_as_config(
            str(path), "this is a data section (format, root, ...), not a config"
        )
    if {"names", "train"} <= keys:
        return _data_file_as_config(str(path), "this is an Ultralytics data yaml, not a config")
    return err


def _check_data_options(data: DataConfig, source: str) -> None:
    """Validate ``data.format`` and its option keys against ``detseg.data``, when importable:
    a key of another format says which format takes it, a typo gets the closest valid key, a
    switch must be a bool (:func:`~detseg.config.data_section.check_data_options`)."""
    data.options = check_data_options(data.format, data.options, source)
