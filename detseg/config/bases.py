"""Composing config files: ``_base_`` chains, the dict merge, reading YAML.

A config file may name bases::

    _base_: ../_base_/shapes_cpu.yaml                       # one file
    _base_: [../faster_rcnn/x.yaml, ../datasets/voc.yaml]   # several, merged in order

Paths are relative to the file that names them (``~`` is the home folder). A base that is no
file there may be a packaged config's name (:func:`detseg.config.packaged.packaged_file`, as
CONFIG and ``--data`` take it): ``_base_: demo`` or ``_base_: datasets/voc`` works from a
config in any folder; a file next to the config wins over a packaged one of the same name.
A base may have its own ``_base_``, to any depth. A file resolves to
``merge(merge(base_1, base_2), ...)`` with the file itself on top (later wins). A cycle
(``a.yaml -> b.yaml -> a.yaml``) is an error; a file reached twice along different branches
(two bases sharing a base) is not.

The merge is recursive: nested dicts merge key by key, lists and scalars are replaced.
A section written empty or null (``eval:`` with nothing under it, ``train: null``,
``eval: {crf: }``) changes nothing: it is dropped from its file before the merge
(:func:`drop_empty_sections`), so the base's values stay, as they do for ``eval: {}``. A
section is a key whose schema field is a section dataclass (``model``, ``data``, ``train``,
``eval``, ``eval.crf``); a null *value* (``train.max_iters: null``, ``model.rpn: null``) is
still a value and replaces the base's. To go back to a section's defaults, write its keys.

One exception to the merge rule, the ``data`` section: when the upper layer sets
``data.format`` to another format than the section below it has, the lower section is
replaced by :func:`detseg.config.data_section.switch_format` (only ``augmentations`` kept)
before the merge, so no key of the old format is left behind.

YAML is read with ``yaml.safe_load`` semantics plus one check PyYAML leaves out: a key
written twice in one mapping (two ``train:`` blocks, ``epochs`` twice) is an error naming
both lines, where PyYAML would silently keep the last one (:class:`UniqueKeyLoader`).
Keys brought in by a ``<<: *anchor`` merge may still be overridden by the mapping's own keys.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from detseg.config.data_section import switch_format
from detseg.config.packaged import (
    LIST_HINT,
    closest_packaged,
    packaged_config_dir,
    packaged_file,
    packaged_name,
)
from detseg.config.schema import Config, ConfigError

BASE_KEY = "_base_"

#: ``check(raw, source)``: validates one file's own keys (its ``_base_`` removed).
FileCheck = Callable[[dict[str, Any], str], None]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that rejects a key written twice in one mapping.

    PyYAML keeps the last of duplicate keys without a word, so a second ``train:`` block
    would silently drop the first one's settings. Keys merged in with ``<<: *anchor`` are not
    the mapping's own and may be overridden, as YAML's merge key intends.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: SafeLoader's own error follows
                    continue
                if first is not key_node:
                    raise yaml.constructor.ConstructorError(
                        f"first at line {first.start_mark.line + 1}",
                        node.start_mark,
                        f"found duplicate key {key!r}",
                        key_node.start_mark,
                    )
        return super().construct_mapping(node, deep=deep)


def load_yaml_text(text: str) -> Any:
    """``yaml.safe_load(text)``, but a key written twice in one mapping is a
    ``yaml.YAMLError`` (:class:`UniqueKeyLoader`)."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 (a SafeLoader)


def read_yaml(path: Path, what: str = "config file") -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping (an empty file is ``{}``).

    Raises:
        ConfigError: no such file ("<what> not found: <path>"), a folder, a file that is not
            UTF-8 text (an image given as the config), a YAML syntax error or a key written
            twice in one mapping (naming its line and column), or a top level that is not a
            mapping.
    """
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not a {what}; give the YAML file inside it")
    if not path.is_file():
        raise ConfigError(f"{what} not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        why = f"byte {err.object[err.start]:#04x} at offset {err.start} is not UTF-8"
        raise ConfigError(_not_text(path, what, why)) from None
    try:
        data = load_yaml_text(text)
    except yaml.YAMLError as err:
        raise ConfigError(_yaml_error_text(path, what, err)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _not_text(path: Path, what: str, why: str) -> str:
    """The message for a file that is no YAML text at all (an image, an archive)."""
    return f"{path}: not a YAML text file ({why}); give a {what} in YAML"


def _yaml_error_text(path: Path, what: str, err: yaml.YAMLError) -> str:
    """``<path>, line L, column C: invalid YAML: <problem>`` (lines and columns from 1)."""
    if isinstance(err, yaml.reader.ReaderError):  # a control character: binary content
        code = err.character if isinstance(err.character, int) else ord(err.character)
        return _not_text(path, what, f"control character {code:#04x} at offset {err.position}")
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    if isinstance(err, yaml.MarkedYAMLError) and err.context:
        problem = f"{problem} ({err.context})"
    if mark is None:
        return f"{path}: invalid YAML: {problem}"
    return f"{path}, line {mark.line + 1}, column {mark.column + 1}: invalid YAML: {problem}"


def deep_merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge into a new dict: ``child`` wins; nested dicts merge; other values
    (lists, scalars) are replaced. Neither input is modified (``deep_merge({}, d)`` copies)."""
    out = {k: deep_merge({}, v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        elif isinstance(value, dict):
            out[key] = deep_merge({}, value)
        elif isinstance(value, list):
            out[key] = [deep_merge({}, v) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


def drop_empty_sections(raw: dict[str, Any], schema: type = Config) -> dict[str, Any]:
    """``raw`` (one file's keys) without the sections written empty or null, at any depth.

    YAML reads a section with nothing under it (``eval:``) as null; merged as it is, that null
    would replace the whole section of the base, and validation would fill in the schema's
    defaults, silently undoing the base. Dropping it makes an empty section mean what an
    empty mapping means: no change. Only the keys that :class:`~detseg.config.schema.Config`
    declares as sections (dataclass fields) are dropped; other nulls are values.

    Args:
        raw: a file's keys (not modified).
        schema: the dataclass whose section fields are looked at (recursively).

    Returns:
        A new dict (nested sections copied where one of their own sections was dropped).
    """
    sections = {
        name: tp
        for name, tp in typing.get_type_hints(schema).items()
        if isinstance(tp, type) and dataclasses.is_dataclass(tp)
    }
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in sections and value is None:
            continue
        if key in sections and isinstance(value, dict):
            value = drop_empty_sections(value, sections[key])
        out[key] = value
    return out


def merge_layers(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """:func:`deep_merge` of two config layers, switching the data format when ``child``
    sets ``data.format`` (see the module docstring)."""
    child_data = child.get("data")
    if isinstance(child_data, dict) and child_data.get("format") is not None:
        base = {**base, "data": switch_format(base.get("data"), str(child_data["format"]))}
    return deep_merge(base, child)


def compose(
    path: str | os.PathLike[str],
    check: FileCheck | None = None,
    origins: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Read a config file and everything its ``_base_`` names, merged into one raw dict.

    Args:
        path: the file.
        check: called on each file's own keys before merging (unknown keys are reported
            naming the file that has them).
        origins: when given, filled with the file that wrote each value, by dotted key path
            (``{"train.epochs": "configs/_base_/coco_1x.yaml"}``; the last file in merge order
            wins), so that an error found after merging can name the file to edit.

    Returns:
        The merged config, without ``_base_``.

    Raises:
        ConfigError: an unreadable file, a ``_base_`` that is not a path or a list of paths,
            a missing base (naming it, the file that references it, where it was looked for
            and the closest packaged names), or a cycle (showing the chain).
    """
    return _compose(Path(path).expanduser(), [], check, origins)


def _compose(
    path: Path, chain: list[Path], check: FileCheck | None, origins: dict[str, str] | None
) -> dict[str, Any]:
    raw = read_yaml(path)
    refs = _base_refs(raw.pop(BASE_KEY, None), path)
    raw = drop_empty_sections(raw)
    if check is not None:
        check(raw, str(path))
    here = [*chain, path.resolve()]
    merged: dict[str, Any] = {}
    for ref in refs:
        base = base_file(path, ref)
        if base.resolve() in here:
            names = [*here[here.index(base.resolve()) :], base.resolve()]
            raise ConfigError(
                f"{path}: '{BASE_KEY}' cycle: {_chain_text(names)}; "
                f"remove one of these '{BASE_KEY}' entries"
            )
        merged = merge_layers(merged, _compose(base, here, check, origins))
    if origins is not None:
        origins.update(dict.fromkeys(value_paths(raw), str(path)))
    return merge_layers(merged, raw)


def base_file(path: Path, ref: str) -> Path:
    """The file that the ``_base_`` entry ``ref`` of the config ``path`` names: ``ref``
    relative to the folder of ``path`` (``~`` is the home folder) when that is a file, or
    ``ref.yaml`` there for a name without a suffix, else the packaged config of that name
    (``demo``, ``datasets/voc``): a file beside the config wins over a packaged one.

    Raises:
        ConfigError: neither is there (naming ``path``, ``ref``, both places looked and the
            closest packaged names), or ``ref`` names a folder and no packaged config.
    """
    base = path.parent / Path(ref).expanduser()  # '~/configs/x.yaml': under the home
    if base.is_file():
        return base
    beside = base.with_name(f"{base.name}.yaml")  # `_base_: demo` beside a demo.yaml of one's own
    if not base.suffix and beside.is_file():
        return beside
    packaged = packaged_file(ref)
    if packaged is not None:
        return packaged
    looked = os.path.normpath(base)
    if base.is_dir():
        raise ConfigError(
            f"{path}: {BASE_KEY} {ref!r} is a folder ({looked}); name a YAML file inside it"
        )
    name = packaged_name(ref)
    if packaged_config_dir() is None:
        raise ConfigError(f"{path}: {BASE_KEY} {ref!r} not found (looked for {looked})")
    close = closest_packaged(ref)
    hint = f"; closest packaged configs: {', '.join(close)}" if close else ""
    places = looked if name is None else f"{looked} and for the packaged config '{name}'"
    raise ConfigError(
        f"{path}: {BASE_KEY} {ref!r} not found (looked for {places}){hint}; {LIST_HINT}"
    )


def value_paths(raw: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted key paths of the values of ``raw`` that are no mappings, at any depth
    (``{"train": {"lr": 0.1}, "seed": 1}`` -> ``["train.lr", "seed"]``)."""
    paths = []
    for key, value in raw.items():
        path = f"{prefix}{key}"
        paths.extend(value_paths(value, f"{path}.") if isinstance(value, dict) else [path])
    return paths


def _base_refs(value: Any, path: Path) -> list[str]:
    """The paths a ``_base_`` value names: a string or a list of strings."""
    if value is None:
        return []
    refs = value if isinstance(value, list) else [value]
    if not all(isinstance(ref, str) and ref for ref in refs):
        raise ConfigError(
            f"{path}: '{BASE_KEY}' must be a path or a list of paths (relative to this file, "
            "or packaged config names), "
            f"got {value!r}"
        )
    return refs


def _chain_text(paths: list[Path]) -> str:
    """``a.yaml -> b.yaml -> a.yaml``, the paths relative to the first one's folder."""
    start = paths[0].parent
    return " -> ".join(os.path.relpath(p, start) for p in paths)
