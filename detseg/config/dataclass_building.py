"""Building the config dataclasses from a raw dict: unknown keys, types, section checks.

:func:`check_keys` rejects the unknown keys of one file before the files merge (so the error
names that file); :func:`build` turns the merged dict into :class:`~detseg.config.schema.Config`
and its sections, each value coerced to its field's type
(:func:`~detseg.config.checks.coerce`) and each section's own ranges checked. Separate from
:mod:`detseg.config.loading` (the load steps) and used by :mod:`detseg.config.overrides` too.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from detseg.config.checks import coerce, unknown_key_error
from detseg.config.schema import OPEN_SECTIONS, ConfigError


def type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def check_keys(raw: dict[str, Any], cls: type, source: str, prefix: str) -> None:
    """Reject unknown keys of the closed sections of one file (before merging)."""
    hints = type_hints(cls)
    for key, value in raw.items():
        if key not in hints:
            if cls in OPEN_SECTIONS:
                continue
            raise unknown_key_error(source, prefix + str(key), hints)
        if dataclasses.is_dataclass(hints[key]) and isinstance(value, dict):
            check_keys(value, hints[key], source, f"{prefix}{key}.")


def build(cls: type, raw: Any, source: str, prefix: str) -> Any:
    """Turn a nested dict into dataclass ``cls``, coercing and checking every value."""
    where = prefix.rstrip(".") or "<top level>"
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: '{where}' must be a mapping, got {raw!r}")
    hints = type_hints(cls)
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
            kwargs[key] = build(tp, value, source, key_path + ".")
        else:
            kwargs[key] = coerce(value, tp, source, key_path)
    if open_field is not None:
        kwargs[open_field] = extra
    try:
        return cls(**kwargs)
    except ConfigError as err:  # a range check of the section (``__post_init__``)
        raise ConfigError(f"{source}: {err}") from None
