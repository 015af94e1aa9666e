"""Switching ``model.name`` over a config of another model: its keys, dropped or explained.

A config's model keys are the builder arguments of its model; after ``--set model.name=X`` (or a
file that sets ``model.name`` over a ``_base_`` of another model) the other model's keys stay.
Those set to null (``--set model.fpn=null``, ``fpn: null``) are dropped when the new model does
not take them (:func:`nulled_model_keys`); the error about any other one says that the model
was switched and how to drop its keys (:func:`model_switch_hint`,
:func:`file_model_switch_hint`). Separate from :mod:`detseg.config.loading` so that the load
steps read in one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from detseg.config.bases import compose
from detseg.config.model_section import builder_keys
from detseg.config.schema import ConfigError, ModelConfig


def model_name(raw: dict[str, Any]) -> Any:
    """``raw['model']['name']`` of a raw config (``None`` when it has none)."""
    model = raw.get("model")
    return model.get("name") if isinstance(model, dict) else None


def nulled_model_keys(items: list[tuple[str, Any, str]]) -> set[str]:
    """The builder keys that an override sets to null (``--set model.fpn=null``): a key of
    the files that the model does not take (one of another model, after ``model.name`` is
    switched) is dropped; a key of no file is checked as any other (a typo stays an error)."""
    paths = [key_path.split(".") for key_path, value, _ in items if value is None]
    return {parts[1] for parts in paths if len(parts) == 2 and parts[0] == "model"}


def model_switch_hint(
    err: ConfigError,
    old: Any,
    new: Any,
    items: list[tuple[str, Any, str]],
    model_keys: Mapping[str, Any] | None = None,
) -> ConfigError:
    """``err`` about an unknown model key, saying that an override switched ``model.name``
    from ``old`` (the file's) to ``new`` and how to drop the keys of the other model: every
    key of ``model_keys`` (the model section) that ``new`` does not take and that is not null
    yet, in one ``--set``, so that one more run finds the next problem rather than the next
    such key."""
    found = re.search(r"unknown key 'model\.(\w+)'", str(err))
    if found is None or old is None or old == new:
        return err
    setter = next(where for key_path, _, where in items if key_path == "model.name")
    leftover = _keys_not_taken(new, model_keys or {}) or [found.group(1)]
    drops = " ".join(f"model.{key}=null" for key in leftover)
    return ConfigError(
        f"{err}; {setter} switched the model from '{old}' to '{new}' and the config's other "
        f"model keys stay: drop those of {old} that {new} does not take with --set {drops}, or "
        f"start from a config of {new}"
    )


def _keys_not_taken(name: Any, model_keys: Mapping[str, Any]) -> list[str]:
    """The keys of the model section ``model_keys`` that model ``name``'s builder does not
    take, sorted, but those already null (dropped: :func:`nulled_model_keys`) and the
    section's own fields (``name``, ``init_from`` and ``compile`` are every model's); none
    where the models cannot be imported (a partial install) or ``name`` is unknown."""
    try:
        from detseg.models import MODELS
    except ImportError:
        return []
    if name not in MODELS:
        return []
    taken = set(builder_keys(MODELS[name]))
    section = {field.name for field in fields(ModelConfig) if field.name != "kwargs"}
    return sorted(
        key
        for key, value in model_keys.items()
        if value is not None and key not in taken and key not in section
    )


def file_model_switch_hint(
    err: ConfigError,
    new: Any,
    origins: dict[str, str],
    model_keys: Mapping[str, Any] | None = None,
) -> ConfigError:
    """``err`` about an unknown model key written by a ``_base_`` file of another model than
    ``new``, the one a later file sets (``origins``: the file of each key, from
    :func:`compose`), saying so and how to drop the keys: every key of ``model_keys`` (the
    composed model section, less the keys an override sets to null) written by another file
    than the one setting the name, that ``new`` does not take and is not null yet (a key the
    naming file writes itself is its own to fix, a typo maybe); ``err`` itself otherwise."""
    found = re.search(r"unknown key 'model\.(\w+)'", str(err))
    if found is None or "switched the model" in str(err):
        return err
    key = found.group(1)
    key_file = _key_file(origins, key)
    name_file = origins.get("model.name")
    if key_file is None or name_file is None or key_file == name_file:
        return err
    try:
        old = model_name(compose(key_file))
    except ConfigError:
        return err
    if old is None or old == new:
        return err
    base_keys = {
        name: value
        for name, value in (model_keys or {}).items()
        if _key_file(origins, name) not in (None, name_file)
    }
    leftover = _keys_not_taken(new, base_keys) or [key]
    nulls = ", ".join(f"'{name}: null'" for name in leftover)
    return ConfigError(
        f"{err}; {name_file} sets model.name to '{new}' over the {old} of {key_file}, whose "
        f"other model keys stay: drop those {new} does not take with null in {name_file} "
        f"({nulls} under 'model:'), or start from a config of {new}"
    )


def _key_file(origins: dict[str, str], key: str) -> str | None:
    """The file that writes ``model.<key>`` (``origins`` from :func:`compose`), or one of the
    keys of its section (``model.rpn.pre_nms_top_n_train`` for ``rpn``); ``None`` if none."""
    written = [file for path, file in origins.items() if path.startswith(f"model.{key}.")]
    return origins.get(f"model.{key}", written[0] if written else None)
