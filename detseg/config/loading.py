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
   config's ``augmentations`` stay unless the data file has its own.
3. **Overrides** (``--set a.b=value``), parsed by the type of the field they set; a mapping
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
4. **Validation** into the dataclasses (types, then each section's ranges), the model kwargs
   against the builder's signature and its parameters' types
   (:mod:`detseg.config.model_section`), the data keys against the format's
   (``detseg.data.registry.DATA_DEFAULTS``; its switches such as ``load_masks`` must be
   bools). An error names the file that wrote the wrong value (a ``_base_`` file, when the
   experiment file does not write that key itself), or the ``--set`` item that set it.
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

import dataclasses
import datetime
import os
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml

from detseg.config.bases import BASE_KEY, compose, deep_merge, load_yaml_text, read_yaml
from detseg.config.checks import coerce, type_name, unknown_key_error
from detseg.config.data_file import load_data_file, replace_data_section
from detseg.config.data_section import (
    check_data_keys,
    check_data_switches,
    option_type,
    switch_format,
)
from detseg.config.model_section import check_model_section
from detseg.config.paths import expand_user_paths
from detseg.config.schema import OPEN_SECTIONS, Config, ConfigError, DataConfig, ModelConfig

#: The key of ``--set`` overrides applied before the others (a format switch).
FORMAT_OVERRIDE = "data.format"

#: ``--set`` strings (``"train.lr=0.01"``), or a mapping of dotted keys to values
#: (``{"train.lr": 0.01}``).
Overrides = typing.Sequence[str] | Mapping[str, Any]


# --------------------------------------------------------------------------- loading


def load_config(
    path: str | os.PathLike[str],
    overrides: Overrides = (),
    data_file: str | os.PathLike[str] | None = None,
) -> Config:
    """Read a YAML config with its ``_base_`` files, apply a data file and ``--set`` overrides,
    validate (the steps of the module docstring).

    Args:
        path: the experiment file.
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
        ConfigError: an unreadable or missing file or base, a ``_base_`` cycle, an unknown
            key, a key of another data format, a wrong type.
        TypeError: ``overrides`` is neither a list of strings nor a mapping.
    """
    origins: dict[str, str] = {}
    try:
        raw = compose(
            path,
            check=lambda layer, source: _check_keys(layer, Config, source, ""),
            origins=origins,
        )
    except ConfigError as err:
        raise _data_file_given_as_config(err, path) from None
    if data_file is not None:  # the data section is the data file's, which names itself
        origins = {k: v for k, v in origins.items() if k.split(".")[0] != "data"}
    try:
        return config_from_dict(raw, source=str(path), overrides=overrides, data_file=data_file)
    except ConfigError as err:
        err = _blame_base(err, str(path), origins)
        raise _file_model_switch_hint(err, _model_name(raw), origins) from None


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
    """
    raw = deep_merge({}, raw)  # deep copy
    if BASE_KEY in raw:
        raise ConfigError(f"{source}: '{BASE_KEY}' is only allowed in a config file")
    if data_file is not None:
        raw = replace_data_section(raw, load_data_file(data_file))
    items = _override_items(overrides)
    formats = [item for item in items if item[0] == FORMAT_OVERRIDE]
    others = [item for item in items if item[0] != FORMAT_OVERRIDE]
    file_model = _model_name(raw)
    file_keys = set(raw["model"]) if isinstance(raw.get("model"), dict) else set()
    droppable = _nulled_model_keys(items) & file_keys  # another model's keys, set to null
    data_only = set(raw) == {"data"}
    for key_path, value, where in [*formats, *others]:
        _set_override(raw, key_path, value, source, where)
    if data_only and _model_name(raw) is None:
        raise _data_file_as_config(source)
    try:
        config = _build(Config, raw, source, "")
        check_model_section(config.model, source, droppable=droppable)
        _check_data_options(config.data, source)
    except ConfigError as err:
        err = _blame_override(err, source, items)
        raise _model_switch_hint(err, file_model, _model_name(raw), items) from None
    expand_user_paths(config)
    return config


def _model_name(raw: dict[str, Any]) -> Any:
    """``raw['model']['name']`` of a raw config (``None`` when it has none)."""
    model = raw.get("model")
    return model.get("name") if isinstance(model, dict) else None


def _nulled_model_keys(items: list[tuple[str, Any, str]]) -> set[str]:
    """The builder keys that an override sets to null (``--set model.fpn=null``): a key of
    the files that the model does not take (one of another model, after ``model.name`` is
    switched) is dropped; a key of no file is checked as any other (a typo stays an error)."""
    paths = [key_path.split(".") for key_path, value, _ in items if value is None]
    return {parts[1] for parts in paths if len(parts) == 2 and parts[0] == "model"}


def _model_switch_hint(
    err: ConfigError, old: Any, new: Any, items: list[tuple[str, Any, str]]
) -> ConfigError:
    """``err`` about an unknown model key, saying that an override switched ``model.name``
    from ``old`` (the file's) to ``new`` and how to drop the keys of the other model."""
    found = re.search(r"unknown key 'model\.(\w+)'", str(err))
    if found is None or old is None or old == new:
        return err
    setter = next(where for key_path, _, where in items if key_path == "model.name")
    key = found.group(1)
    return ConfigError(
        f"{err}; {setter} switched the model from '{old}' to '{new}' and the config's other "
        f"model keys stay: drop those of {old} that {new} does not take with "
        f"--set model.{key}=null (one per key), or start from a config of {new}"
    )


def _file_model_switch_hint(err: ConfigError, new: Any, origins: dict[str, str]) -> ConfigError:
    """``err`` about an unknown model key written by a ``_base_`` file of another model than
    ``new``, the one a later file sets (``origins``: the file of each key, from
    :func:`compose`), saying so and how to drop the key; ``err`` itself otherwise."""
    found = re.search(r"unknown key 'model\.(\w+)'", str(err))
    if found is None or "switched the model" in str(err):
        return err
    key = found.group(1)
    written = [file for path, file in origins.items() if path.startswith(f"model.{key}.")]
    key_file = origins.get(f"model.{key}", written[0] if written else None)  # or a section's
    name_file = origins.get("model.name")
    if key_file is None or name_file is None or key_file == name_file:
        return err
    try:
        old = _model_name(compose(key_file))
    except ConfigError:
        return err
    if old is None or old == new:
        return err
    return ConfigError(
        f"{err}; {name_file} sets model.name to '{new}' over the {old} of {key_file}, whose "
        f"other model keys stay: drop those {new} does not take with null in {name_file} "
        f"('{key}: null' under 'model:'), or start from a config of {new}"
    )


def _data_file_as_config(source: str, what: str = "") -> ConfigError:
    """The error of a data file given as the experiment config: it goes with ``--data``,
    after a model config. ``what``: what the file holds, when it is not a ``data:`` section."""
    found = what or "'model.name' is required, and this file has only a data section"
    return ConfigError(
        f"{source}: {found}: a data file goes with a model config, e.g. tools/train.py "
        f"configs/demo.yaml --data {source}"
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


def _blame_override(
    err: ConfigError, source: str, items: list[tuple[str, Any, str]]
) -> ConfigError:
    """``err`` naming the override that set its key (``--set train.epochs=two: ...``) instead
    of the file, whose value it is not; ``err`` itself when no override set that key."""
    rest = _after_source(str(err), source)
    if rest is None:
        return err
    named = _named_part(rest)
    # The key the message names first (an advice may name another: 'use data.format=coco'),
    # or a key inside it (an override of a section sets its keys), or an item of it; of the
    # overrides of one key, the last, which wins.
    found = [
        (at, -index, where)
        for index, (key_path, _, where) in enumerate(items)
        if (at := _names_key(named, key_path)) is not None
    ]
    return ConfigError(f"{min(found)[2]}{rest}") if found else err


def _blame_base(err: ConfigError, source: str, origins: dict[str, str]) -> ConfigError:
    """``err`` naming the ``_base_`` file that wrote the wrong value, when it is not the top
    file ``source``: the key the message names first (the longest of those at one place), as
    written in ``origins`` (dotted key path -> file, from :func:`compose`)."""
    rest = _after_source(str(err), source)
    if rest is None:
        return err
    named = _named_part(rest)
    origins = _with_sections(origins)
    found = [(at, -len(key), key) for key in origins if (at := _names_key(named, key)) is not None]
    if not found:
        return err
    origin = origins[min(found)[2]]
    return err if origin == source else ConfigError(f"{origin}{rest}")


def _with_sections(origins: dict[str, str]) -> dict[str, str]:
    """``origins`` plus each nested section (``model.rpn``, not a top-level one) that only its
    keys name (``model.rpn.nms_thresh``), as written by the file of its first key: an error
    about the whole section (another model's ``rpn``) names the file that wrote it."""
    full = dict(origins)
    for path, file in origins.items():
        parts = path.split(".")
        for depth in range(2, len(parts)):
            full.setdefault(".".join(parts[:depth]), file)
    return full


def _after_source(message: str, source: str) -> str | None:
    """What follows ``source`` at the start of ``message`` (``": unknown key ..."``, or
    ``" (data.format=coco): ..."``); ``None`` when the message does not start with it."""
    rest = message.removeprefix(source)
    return rest if rest != message and rest[:2] in {": ", " ("} else None


def _named_part(rest: str) -> str:
    """The part of an error message (after its source) that names the wrong key: without the
    context in parentheses before the colon (``(data.format=coco): ...``) and without a "did you
    mean" hint, which names a valid key, not the wrong one: a typo in the file
    ('model.min_sise') must not be blamed on a correct --set of the key it suggests."""
    return _SUGGESTION.sub("", rest.partition(": ")[2])


def _names_key(message: str, key_path: str) -> int | None:
    """Where ``message`` names ``key_path``, or a key inside it or an item of it
    (``train.milestones[1]``), as a whole dotted name; ``None`` when it does not."""
    found = re.search(rf"(?<![\w.]){re.escape(key_path)}(?![\w])", message)
    return None if found is None else found.start()


#: The hint of :func:`detseg.config.suggest.did_you_mean` in an error message.
_SUGGESTION = re.compile(r"; did you mean '[^']*'\?")


# --------------------------------------------------------------------------- validation


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _check_keys(raw: dict[str, Any], cls: type, source: str, prefix: str) -> None:
    """Reject unknown keys of the closed sections of one file (before merging)."""
    hints = _hints(cls)
    for key, value in raw.items():
        if key not in hints:
            if cls in OPEN_SECTIONS:
                continue
            raise unknown_key_error(source, prefix + str(key), hints)
        if dataclasses.is_dataclass(hints[key]) and isinstance(value, dict):
            _check_keys(value, hints[key], source, f"{prefix}{key}.")


def _build(cls: type, raw: Any, source: str, prefix: str) -> Any:
    """Turn a nested dict into dataclass ``cls``, coercing and checking every value."""
    where = prefix.rstrip(".") or "<top level>"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: '{where}' must be a mapping, got {raw!r}")
    hints = _hints(cls)
    open_field = OPEN_SECTIONS.get(cls)
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        key_path = prefix + str(key)
        if key == open_field or key not in hints:
            if open_field is None:
                raise unknown_key_error(source, key_path, hints)
            extra[str(key)] = value
            continue
        tp = hints[key]
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):  # a section
            kwargs[key] = _build(tp, value, source, key_path + ".")
        else:
            kwargs[key] = coerce(value, tp, source, key_path)
    if open_field is not None:
        kwargs[open_field] = extra
    try:
        return cls(**kwargs)
    except ConfigError as err:  # a range check of the section (``__post_init__``)
        raise ConfigError(f"{source}: {err}") from None


def _check_data_options(data: DataConfig, source: str) -> None:
    """Validate ``data.format`` and its option keys against ``detseg.data``, when importable:
    a key of another format says which format takes it, a typo gets the closest valid key."""
    check_data_keys(data.format, data.options, source)
    data.options = check_data_switches(data.options, source)


# --------------------------------------------------------------------------- overrides


def _override_items(overrides: Overrides) -> list[tuple[str, Any, str]]:
    """``(key path, value, name in messages)`` of each override: a ``"a.b=value"`` string's
    value parsed by the field's type, a mapping's value as it is.

    Raises:
        ConfigError: a string without ``=`` or a key, a key that is no config field.
        TypeError: ``overrides`` is neither a sequence of strings nor a mapping.
    """
    if isinstance(overrides, Mapping):
        items = []
        for key, value in overrides.items():
            where = f"override {key!r}"
            if not isinstance(key, str) or not key.strip():
                raise ConfigError(f"{where}: a key must be a dotted name such as 'train.lr'")
            key_path = key.strip()
            _field_type(key_path.split("."), where)  # an unknown key is an error here
            items.append((key_path, value, where))
        return items
    if isinstance(overrides, str | bytes) or not all(isinstance(i, str) for i in overrides):
        raise TypeError(
            "overrides must be a list of 'key=value' strings (as --set takes them) or a "
            f"mapping of dotted keys to values, got {overrides!r}"
        )
    return [parse_override(item) for item in overrides]


def parse_override(item: str) -> tuple[str, Any, str]:
    """``("a.b", value, "--set a.b=value")`` of ``item = "a.b=value"``, the value parsed by
    the field's type: the text itself for a string field (``str | None``: null for
    ``null``, ``none``, ``~`` or nothing), so that ``work_dir=2024`` or ``data.root=yes`` stay
    names; a choice as written; YAML for the other typed fields (``train.ema=yes`` is true).

    A data format key is typed by the formats' defaults
    (:func:`~detseg.config.data_section.option_type`: ``data.val_split=no`` stays a name,
    ``data.load_masks=yes`` is true). A key of an open section whose type is not known here
    (a model builder's argument, ``data.classes``) is read by :func:`parse_open_value`: YAML
    for lists, mappings, numbers, ``true``/``false`` and null, the text for a word or a name
    that YAML 1.1 would turn into another type."""
    key_path, sep, text = item.partition("=")
    key_path = key_path.strip()
    if not sep or not key_path:
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. train.lr=0.01")
    where = f"--set {item}"
    tp = _field_type(key_path.split("."), where)
    if not text.strip() and not _takes_null(tp):
        raise ConfigError(
            f"{where}: the value of '{key_path}' is empty; write {type_name(tp)} after '=' "
            f"(e.g. {key_path}={_example(tp)})"
        )
    if tp is str:
        value: Any = text
    elif tp == str | None:  # a path (work_dir, model.init_from): text, unless it says null
        value = None if _parse_scalar(text) is None else text
    elif typing.get_origin(tp) is Literal and text.strip() in typing.get_args(tp):
        value = text.strip()  # a choice such as eval.tta=none stays a string, not null
    elif tp is Any:
        value = parse_open_value(text)
    else:
        value = _parse_scalar(text)
    return key_path, value, where


#: Numbers as YAML 1.1 reads them that are more likely names: a leading zero (``010`` is
#: octal 8 there) or sexagesimal (``12:30`` is 750).
_NAME_LIKE_NUMBER = re.compile(
    r"[-+]?(0[0-9_]+(\.[0-9_]*)?|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)"
)


def parse_open_value(text: str) -> Any:
    """An override value of an open section (model builder arguments, ``data.classes``),
    whose type the loader does not know when it parses the text.

    YAML, for what is written on purpose as YAML: a list or mapping (``[480, 512]``,
    ``{nms_thresh: 0.5}``), a number (``800``, ``0.5``, ``-3``), ``true`` / ``false`` and
    a null spelling (``null``, ``none``, ``~``, nothing). YAML 1.1 also reads some names as
    another type; those stay the text as written (stripped), so no name turns into a bool, a
    date or an unexpected number without a word: ``yes``/``no``/``on``/``off``,
    ``2024-01-01`` (a date), ``010`` (octal 8), ``12:30`` (750). The value is then checked
    against the builder parameter's type (a string where an int or a bool is wanted is an
    error there).
    """
    value = _parse_scalar(text)
    stripped = text.strip()
    if isinstance(value, bool) and stripped.lower() not in {"true", "false"}:
        return stripped
    if isinstance(value, datetime.date):  # a datetime is a date too
        return stripped
    if isinstance(value, int | float) and _NAME_LIKE_NUMBER.fullmatch(stripped):
        return stripped
    return value


def _set_override(
    raw: dict[str, Any], key_path: str, value: Any, source: str = "<dict>", where: str = ""
) -> None:
    """Set ``raw[a][b] = value`` for ``key_path = "a.b"`` (a format switch first replaces
    the data section). A missing or null section becomes a mapping, as it is when read. A
    mapping set on a mapping merges into it key by key, as a file merges over its ``_base_``
    (and as MMDetection's ``--cfg-options`` merge): ``model.rpn={nms_thresh: 0.6}`` keeps the
    other ``rpn`` keys; ``model.rpn=null`` before it starts that section from nothing.

    Raises:
        ConfigError: a section on the way is set to something else than a mapping
            (``train: 5``): the file is wrong, and the override must not hide it.
    """
    if key_path == FORMAT_OVERRIDE:  # another format: the data section starts afresh
        if not isinstance(raw.get("data"), dict | None):
            raise _not_a_mapping(source, "data", raw["data"], where)
        raw["data"] = switch_format(raw.get("data"), str(value))
    keys = key_path.split(".")
    node = raw
    for depth, key in enumerate(keys[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        elif not isinstance(child, dict):
            raise _not_a_mapping(source, ".".join(keys[: depth + 1]), child, where)
        node = child
    if isinstance(value, dict) and isinstance(node.get(keys[-1]), dict):
        value = deep_merge(node[keys[-1]], value)  # a section merges, as a _base_ file's does
    node[keys[-1]] = value


def _not_a_mapping(source: str, key: str, value: Any, where: str) -> ConfigError:
    """The error of ``_build`` for a section that is no mapping, naming the override too."""
    via = f" (so {where} cannot set a key in it)" if where else ""
    return ConfigError(f"{source}: '{key}' must be a mapping, got {value!r}{via}")


def _field_type(keys: list[str], source: str) -> Any:
    """Type of the field at ``keys``: a schema field's annotation; a data format key's type
    (:func:`~detseg.config.data_section.option_type`); ``Any`` for a model builder argument
    (its type is checked once the section is complete) or a key inside one."""
    if "" in keys:  # "train..epochs", "model.": no key to look up or to blame an error on
        raise ConfigError(
            f"{source}: '{'.'.join(keys)}' has an empty part; write a dotted name such as "
            "'train.lr' or 'model.rpn.nms_thresh'"
        )
    cls: Any = Config
    for depth, key in enumerate(keys):
        path, rest = ".".join(keys[: depth + 1]), keys[depth + 1 :]
        hints = _hints(cls)
        open_field = OPEN_SECTIONS.get(cls)
        if key in hints and key != open_field:
            tp = hints[key]
            if dataclasses.is_dataclass(tp):
                if not rest:
                    raise ConfigError(f"{source}: '{path}' is a section; set one of its keys")
                cls = tp
                continue
            if rest:
                raise ConfigError(f"{source}: '{path}' has no sub-keys")
            return tp
        if open_field is not None and cls is ModelConfig:  # builder kwargs: checked later
            return Any
        if open_field is not None:  # a data format key: typed by the formats' defaults
            return option_type(key) if not rest else Any
        raise unknown_key_error(source, path, hints)
    raise ConfigError(f"{source}: empty key")


def _takes_null(tp: Any) -> bool:
    """Whether an empty ``--set`` value means something for a field of type ``tp``: the text
    ``""`` (``str``), null (a union with ``None``), or a builder argument, checked later."""
    return tp is str or tp is Any or type(None) in typing.get_args(tp)


def _example(tp: Any) -> str:
    """A value of type ``tp`` for a message: the first choice, ``true``, ``1``, ``0.1``."""
    if typing.get_origin(tp) is Literal:
        return str(typing.get_args(tp)[0]).lower()
    return {bool: "true", int: "1", float: "0.1"}.get(tp, "[1, 2]")


def _parse_scalar(text: str) -> Any:
    """YAML-parse an override value; ``none``/``None`` also mean null."""
    if text.strip() in {"none", "None"}:
        return None
    try:
        return load_yaml_text(text)
    except yaml.YAMLError:
        return text
