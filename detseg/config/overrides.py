"""``--set`` overrides: parsed by the type of the field they set, and set into a raw config.

:func:`parse_override` reads ``"a.b=value"`` by the field's type (:func:`parse_open_value` for
a key of an open section, whose type is not known yet); a mapping of dotted keys to values is
taken as it is (:func:`override_items`). :func:`set_override` puts one into the raw dict, a
mapping merging into the mapping it lands on and a ``data.format`` switch starting the data
section afresh. Separate from :mod:`detseg.config.loading`, which applies them in order.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import yaml

from detseg.config.bases import deep_merge, load_yaml_text
from detseg.config.checks import type_name, unknown_key_error
from detseg.config.data_section import option_type, switch_format
from detseg.config.dataclass_building import type_hints
from detseg.config.error_blame import ADVISED_OVERRIDES, rewritten_override
from detseg.config.schema import OPEN_SECTIONS, Config, ConfigError, ModelConfig

#: The key of ``--set`` overrides applied before the others (a format switch).
FORMAT_OVERRIDE = "data.format"

#: ``--set`` strings (``"train.lr=0.01"``), or a mapping of dotted keys to values
#: (``{"train.lr": 0.01}``).
Overrides = typing.Sequence[str] | Mapping[str, Any]


def override_items(overrides: Overrides | None) -> list[tuple[str, Any, str]]:
    """``(key path, value, name in messages)`` of each override: a ``"a.b=value"`` string's
    value parsed by the field's type, a mapping's value as it is; none for ``None``.

    Raises:
        ConfigError: a string without ``=`` or a key, a key that is no config field.
        TypeError: ``overrides`` is neither ``None``, a sequence of strings nor a mapping.
    """
    if overrides is None:
        return []
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
    given: list[Any] | None = (
        list(overrides)  # read once: a generator gives its items a single time
        if isinstance(overrides, Iterable) and not isinstance(overrides, str | bytes)
        else None
    )
    if given is None or not all(isinstance(i, str) for i in given):
        raise TypeError(
            "overrides must be a list of 'key=value' strings (['train.lr=0.01']) or a "
            f"mapping of dotted keys to values ({{'train.lr': 0.01}}), got {overrides!r}"
        )
    return [parse_override(item) for item in given]


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
    if tp is not str and tp != str | None and typing.get_origin(tp) is not Literal:
        _check_flow_yaml(key_path, text, where)
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


def set_override(
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
    """The error of ``build`` for a section that is no mapping, naming the override too."""
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
        hints = type_hints(cls)
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


def _check_flow_yaml(key_path: str, text: str, where: str) -> None:
    """Refuse a value written as a YAML list or mapping (``[...]``, ``{...}``) that YAML
    cannot read, e.g. an unclosed brace, instead of taking it as text (whose error would then
    be about its type).

    Raises:
        ConfigError: one line with YAML's short reason and the fixed form where closing the
            open brackets fixes it (else the advice to quote the whole ``--set`` argument).
    """
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return
    try:
        load_yaml_text(stripped)
        return
    except yaml.YAMLError as err:
        reason = getattr(err, "problem", None) or str(err).splitlines()[0]
    fixed = _closed_brackets(stripped)
    advised = {}  # the item to write instead, named as the caller gives overrides
    if "duplicate key" in reason:
        advice = "write each key once"
    elif fixed is not None:
        advice = f"write it as {{{ADVISED_OVERRIDES}}}"
        advised = {ADVISED_OVERRIDES: rewritten_override(f"{key_path}={fixed}")}
    else:
        advice = f"write a YAML mapping or list, e.g. {{{ADVISED_OVERRIDES}}}"
        advised = {ADVISED_OVERRIDES: rewritten_override(f"{key_path}={{name: value}}")}
    raise ConfigError(
        f"{where}: the value of '{key_path}' is not valid YAML ({reason}); {advice} "
        "(quote the whole argument, so that the shell keeps it in one piece)",
        **advised,
    )


def _closed_brackets(text: str) -> str | None:
    """``text`` with its unclosed ``{`` / ``[`` closed in order, when that makes valid YAML
    (``{nms_thresh: 0.6`` -> ``{nms_thresh: 0.6}``); ``None`` otherwise."""
    stack: list[str] = []
    for char in text:
        if char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]":
            if not stack or stack.pop() != char:
                return None
    if not stack or text.rstrip().endswith((":", ",")):  # cut short (a split argument?)
        return None
    fixed = text + "".join(reversed(stack))
    try:
        load_yaml_text(fixed)
    except yaml.YAMLError:
        return None
    return fixed


def _parse_scalar(text: str) -> Any:
    """YAML-parse an override value; ``none``/``None`` also mean null."""
    if text.strip() in {"none", "None"}:
        return None
    try:
        return load_yaml_text(text)
    except yaml.YAMLError:
        return text
