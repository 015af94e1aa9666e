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
from pathlib import Path
from typing import Any

from detseg.config.bases import BASE_KEY, base_file, compose, read_yaml
from detseg.config.error_blame import ADVISED_OVERRIDES, added_overrides
from detseg.config.model_section import builder_keys
from detseg.config.schema import ConfigError, ModelConfig
from detseg.named_settings import NameOnly


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
    yet, in one ``--set`` (an :data:`~detseg.config.error_blame.ADVISED_OVERRIDES` field: more
    items of a Python caller's ``overrides``), so that one more run finds the next problem
    rather than the next such key."""
    found = re.search(r"unknown key 'model\.(\w+)'", str(err))
    if found is None or old is None or old == new:
        return err
    setter = next(where for key_path, _, where in items if key_path == "model.name")
    leftover = _keys_not_taken(new, model_keys or {}) or [found.group(1)]
    drops = [f"model.{key}=null" for key in leftover]
    # a mapping's item is named "override 'model.name'" (override_items), a string's "--set ..."
    advised = _added_nulls(leftover) if setter.startswith("override ") else added_overrides(drops)
    return ConfigError(
        f"{err.template}; {setter} switched the model from '{old}' to '{new}' and the config's "
        f"other model keys stay: drop those of {old} that {new} does not take with "
        f"{{{ADVISED_OVERRIDES}}}, or start from a config of {new}",
        **err.settings,
        **{ADVISED_OVERRIDES: advised},
    )


def _added_nulls(keys: list[str]) -> NameOnly:
    """The :data:`~detseg.config.error_blame.ADVISED_OVERRIDES` value that advises a Python
    caller who gave ``overrides`` as a mapping to null the model ``keys`` in it
    (``{'model.fpn': None} added to overrides``); a tool's ``--set model.fpn=null`` words."""
    listed = ", ".join(f"{f'model.{key}'!r}: None" for key in keys)
    return NameOnly(
        f"{{{listed}}} added to overrides", " ".join(f"model.{key}=null" for key in keys)
    )


def _builder_keys(name: Any) -> set[str] | None:
    """The builder arguments of model ``name``; ``None`` where the models cannot be imported
    (a partial install) or ``name`` is unknown."""
    try:
        from detseg.models import MODELS
    except ImportError:
        return None
    return set(builder_keys(MODELS[name])) if name in MODELS else None


def _keys_not_taken(name: Any, model_keys: Mapping[str, Any]) -> list[str]:
    """The keys of the model section ``model_keys`` that model ``name``'s builder does not
    take, sorted, but those already null (dropped: :func:`nulled_model_keys`) and the
    section's own fields (``name``, ``init_from`` and ``compile`` are every model's); none
    where the models cannot be imported (a partial install) or ``name`` is unknown."""
    taken = _builder_keys(name)
    if taken is None:
        return []
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
    """``err`` about an unknown model key of another model than ``new``, the one a file sets
    over a ``_base_`` of that other model (``origins``: the file of each key, from
    :func:`compose`), saying so and how to drop the keys: every key of ``model_keys`` (the
    composed model section, less the keys an override sets to null) that ``new`` does not take
    and is not null yet, written by a base or restated by the naming file as a key of the base's
    model, all in one message (a key of no such model that the naming file writes is its own
    to fix, a typo maybe, and is left to its own error); ``err`` itself otherwise."""
    found = re.search(r"unknown key 'model\.(\w+)'", str(err))
    if found is None or "switched the model" in str(err):
        return err
    key = found.group(1)
    key_file = _key_file(origins, key)
    name_file = origins.get("model.name")
    if key_file is None or name_file is None:
        return err
    base_file = key_file if key_file != name_file else _base_model_file(name_file)
    try:
        old = None if base_file is None else model_name(compose(base_file))
    except ConfigError:
        return err
    old_keys = _builder_keys(old) or set()
    if old is None or old == new or (key_file == name_file and key not in old_keys):
        return err

    def of_old_model(name: str) -> bool:
        file = _key_file(origins, name)
        return file is not None and (file != name_file or name in old_keys)

    switched = {name: value for name, value in (model_keys or {}).items() if of_old_model(name)}
    leftover = _keys_not_taken(new, switched) or [key]
    nulls = ", ".join(f"'{name}: null'" for name in leftover)
    return ConfigError(
        f"{err}; {name_file} sets model.name to '{new}' over the {old} of {base_file}, whose "
        f"other model keys stay: drop those {new} does not take with null in {name_file} "
        f"({nulls} under 'model:'), or start from a config of {new}"
    )


def _base_model_file(name_file: str) -> str | None:
    """The base of ``name_file`` whose model it switches: the last file of its ``_base_`` list
    whose composition names a model (later bases win the merge); ``None`` if none does."""
    path = Path(name_file)
    try:
        refs = read_yaml(path).get(BASE_KEY)
        for ref in reversed([refs] if isinstance(refs, str) else list(refs or [])):
            base = base_file(path, str(ref))  # as compose() resolves it (a packaged name too)
            if model_name(compose(base)) is not None:
                return str(base)
    except (ConfigError, TypeError):
        return None
    return None


def _key_file(origins: dict[str, str], key: str) -> str | None:
    """The file that writes ``model.<key>`` (``origins`` from :func:`compose`), or one of the
    keys of its section (``model.rpn.pre_nms_top_n_train`` for ``rpn``); ``None`` if none."""
    written = [file for path, file in origins.items() if path.startswith(f"model.{key}.")]
    return origins.get(f"model.{key}", written[0] if written else None)
