"""A model builder's nested config section (``rpn:``, ``loss:``, ...) as a settings dataclass."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from detseg.config.suggest import did_you_mean


def dataclass_from_dict(
    cls: type, values: dict[str, Any] | None, where: str, as_tuple: Sequence[str] = ()
) -> Any:
    """``cls(**values)`` for a settings dataclass, checking the keys first.

    Args:
        cls: The dataclass.
        values: Its fields from a config (``None``: all defaults).
        where: The config key holding ``values`` (named in the error).
        as_tuple: Fields whose value is turned into a tuple (YAML gives lists).

    Raises:
        ValueError: For a key that is not a field of ``cls``, with the closest field name, or
            for ``values`` that are not a mapping.
    """
    if values is not None and not isinstance(values, dict):
        raise ValueError(f"{where} must be a mapping of {cls.__name__} fields, got {values!r}")
    values = dict(values or {})
    valid = [f.name for f in dataclasses.fields(cls)]
    for key in values:
        if key not in valid:
            hint = did_you_mean(key, valid)
            raise ValueError(f"unknown key '{key}' in {where}{hint} (valid keys: {valid})")
    for key in as_tuple:
        if key in values:
            values[key] = tuple(values[key])
    return cls(**values)
