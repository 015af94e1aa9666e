"""The defaults in docs/training.md's "Training options" table are the config schema's.

Each row names one or more keys (`train.ema`, `ema_decay`, ...: the later ones in the same
section) and their defaults, comma-separated in the same order; a value written as ``0 (off)``
is ``0``. Rows of ``data`` keys (a format's defaults, not the schema's) and rows without a
default are left out.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import yaml

from detseg.config.schema import Config

TRAINING_MD = Path(__file__).resolve().parents[1] / "docs" / "training.md"


def _schema_default(path: list[str]) -> Any:
    """The default of a dotted config key (``["eval", "crf", "radius"]``) in :class:`Config`."""
    cls: Any = Config
    value: Any = None
    for name in path:
        field = {f.name: f for f in dataclasses.fields(cls)}[name]
        if field.default is not dataclasses.MISSING:
            value = field.default
        else:
            value = field.default_factory()  # type: ignore[misc]
        cls = type(value)
    return value


def _table_rows() -> list[tuple[list[str], list[str]]]:
    text = TRAINING_MD.read_text(encoding="utf-8")
    section = text[text.index("## Training options") :]
    rows = []
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            break
        keys_cell, default_cell = line.split("|")[1:3]
        keys = [k.split(":")[0].strip() for k in re.findall(r"`([^`]+)`", keys_cell)]
        if not keys:  # the header and its |---| line
            continue
        rows.append((keys, [d.strip() for d in re.split(r",\s*(?![^\[]*\])", default_cell)]))
    return rows


def test_the_table_has_rows() -> None:
    assert len(_table_rows()) > 10


def test_table_defaults_are_the_schema_defaults() -> None:
    wrong = []
    for keys, defaults in _table_rows():
        section, first = keys[0].rsplit(".", 1)
        if section.startswith("data") or defaults == [""]:
            continue
        assert len(defaults) == len(keys), f"row {keys}: {len(keys)} keys, defaults {defaults}"
        for key, written in zip([first, *keys[1:]], defaults, strict=True):
            path = [*section.split("."), key]
            expected = _schema_default(path)
            value = yaml.safe_load(written.split(" (")[0])
            if value != expected:
                wrong.append(f"{'.'.join(path)}: table {written!r}, schema {expected!r}")
    assert not wrong, wrong
