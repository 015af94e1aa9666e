"""Rules of the ``data`` section: its format, switching to another format, checking its keys.

The ``data`` section is ``format``, ``root`` and ``augmentations`` plus the keys of its format
(``detseg.data.registry.DATA_DEFAULTS[format]``, whose values are the defaults). The keys of one
format mean nothing to another, so setting ``data.format`` to a *different* format (in a file
merged over its ``_base_``, or with ``--set data.format=...``) starts a fresh section: only
``augmentations`` (format-independent) is kept, ``root`` and every format key are dropped, and
the new format starts from its own defaults. ``detseg-check-data`` given a dataset folder or a
data file keeps that ``root`` too (the folder holds the data whatever format reads it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from detseg.config.checks import coerce
from detseg.config.class_list import check_class_list
from detseg.config.schema import ConfigError, DataConfig
from detseg.config.suggest import did_you_mean

logger = logging.getLogger(__name__)

#: The format of a data section that names none (``DataConfig``'s default).
DEFAULT_FORMAT: str = DataConfig().format

#: Keys of every data section whatever its format.
COMMON_KEYS: tuple[str, ...] = ("format", "root", "augmentations")

#: Keys that survive a switch to another format.
KEPT_ON_SWITCH: tuple[str, ...] = ("augmentations",)

#: Format keys that take a list (of class names) as well as a file name or null, so that their
#: ``--set`` value is read as YAML (``data.classes=[cat, dog]``) rather than kept as text.
LIST_KEYS: tuple[str, ...] = ("classes",)


def section_format(data: Mapping[str, Any] | None) -> str:
    """The format of a (raw) data section: its ``format``, or :data:`DEFAULT_FORMAT`."""
    if not isinstance(data, Mapping) or data.get("format") is None:
        return DEFAULT_FORMAT
    return str(data["format"])


def switch_format(
    data: Mapping[str, Any] | None, fmt: str, keep: Iterable[str] = ()
) -> dict[str, Any]:
    """The data section after setting ``format`` to ``fmt``.

    Args:
        data: the raw section it lands on (``None`` or not a mapping: no section yet).
        fmt: the new format.
        keep: further keys kept across a switch besides :data:`KEPT_ON_SWITCH`: ``("root",)``
            where the root is the dataset's whatever its format (``detseg-check-data`` given a
            dataset folder or a data file: a VOC2012 folder holds ``voc`` and ``voc_seg``).

    Returns:
        A new section: ``data`` with ``format = fmt`` when that is its format already;
        otherwise ``{"augmentations": ..., **keep, "format": fmt}`` (each kept key only when
        ``data`` has it), so the new format starts from its own defaults.
    """
    if not isinstance(data, Mapping):
        return {"format": fmt}
    if section_format(data) == fmt:
        return {**data, "format": fmt}
    kept = {k: data[k] for k in (*KEPT_ON_SWITCH, *keep) if k in data}
    return {**kept, "format": fmt}


def option_type(key: str) -> Any:
    """The type of format key ``key`` as the formats' defaults (``DATA_DEFAULTS``) declare it,
    which ``--set data.<key>=...`` parses by (as it parses a field of the schema).

    The format keys are paths, split names and switches: a key whose defaults are all bools is
    a ``bool``; one whose defaults are strings or null takes text, ``str | None`` where a
    default is null (``data.train_labels=null`` derives the labels folder) and ``str``
    otherwise, so ``data.val_split=2007`` or ``data.train_images=no`` stay names. A key of
    :data:`LIST_KEYS`, one the formats disagree on, an unknown key (an error later) or any key
    when ``detseg.data`` cannot be imported is ``Any``.
    """
    try:
        from detseg.data.registry import DATA_DEFAULTS
    except ImportError:  # data readers not importable (partial install)
        return Any
    defaults = [keys[key] for keys in DATA_DEFAULTS.values() if key in keys]
    if key in LIST_KEYS or not defaults:
        return Any
    if all(isinstance(d, bool) for d in defaults):
        return bool
    if all(isinstance(d, str) for d in defaults):
        return str
    if all(d is None or isinstance(d, str) for d in defaults):
        return str | None
    return Any


def check_data_keys(fmt: str, keys: Iterable[str], source: str) -> None:
    """Check a data section's format and keys against ``detseg.data`` (when importable).

    Args:
        fmt: the section's format.
        keys: its keys (``format``, ``root`` and ``augmentations`` are always valid).
        source: the file (or ``--set``, ``<checkpoint>``) named at the start of an error.

    Raises:
        ConfigError: an unknown format; a key of another format ("data.train_images is a key
            of format coco/yolo, not voc: remove it, or use data.format=coco", with the valid
            keys of ``fmt``); any other unknown key, with the closest valid one.
    """
    try:
        from detseg.data.registry import DATA_DEFAULTS, SEG_DATA_DEFAULTS
    except ImportError as err:  # data readers not importable (partial install): checked later
        logger.debug("skipping data options check: %s", err)
        return
    if fmt not in DATA_DEFAULTS:
        hint = did_you_mean(fmt, DATA_DEFAULTS)
        raise ConfigError(
            f"{source}: unknown data.format '{fmt}'{hint} (known: {', '.join(DATA_DEFAULTS)})"
        )
    valid = [*COMMON_KEYS, *DATA_DEFAULTS[fmt]]
    for key in keys:
        if key in valid:
            continue
        owners = _formats_with_key(key, fmt, DATA_DEFAULTS, SEG_DATA_DEFAULTS)
        if owners:
            raise ConfigError(
                f"{source}: data.{key} is a key of format {'/'.join(owners)}, not {fmt}: "
                f"remove it, or use data.format={owners[0]} "
                f"(valid keys of {fmt}: {', '.join(valid)})"
            )
        hint = did_you_mean(key, valid, prefix="data.")
        raise ConfigError(
            f"{source} (data.format={fmt}): unknown key 'data.{key}'{hint} "
            f"(valid keys here: {', '.join(sorted(valid))})"
        )


def check_data_switches(options: dict[str, Any], source: str) -> dict[str, Any]:
    """``options`` (a data section's format keys) with each switch checked as a bool and each
    path or split name as text.

    A key whose defaults are all bools (``load_masks``, ``keep_difficult``, ``cache``:
    :func:`option_type`) takes ``true`` / ``false`` (or ``yes``, ``no``, ``on``, ``off``); the
    readers take ``bool(value)``, which would read ``"false"`` or ``maybe`` as true. A key whose
    defaults are text (``train_images``, ``val_split``; null too where a default is null) takes
    a string: YAML reads ``train_images: 2017`` as a number, which the reader could not join
    to the root, so it is refused with the advice to quote it (``'2017'``); ``--set
    data.train_images=2017`` is the text already.

    Returns:
        A new dict, the switches as bools.

    Raises:
        ConfigError: ``'data.load_masks' must be a bool, got 'maybe'``, ``'data.train_images'
            must be a string, got 2017 (YAML reads 2017 as a number; ...)``.
    """
    checked = {}
    for key, value in options.items():
        tp = option_type(key)
        checked[key] = coerce(value, tp, source, f"data.{key}") if tp in _TYPED else value
    return checked


def check_data_options(fmt: str, options: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Check a data section's keys and values as a training run checks them: the keys against
    format ``fmt`` (:func:`check_data_keys`), a listed ``classes``
    (:func:`~detseg.config.class_list.check_class_list`), the switches and text keys
    (:func:`check_data_switches`). The one check of every data section: a config's
    (``detseg.config.load_config``), a data file's (``detseg.config.load_data_file``), one
    that ``detseg-check-data`` builds from a folder or with ``--set``, and one given to
    ``detseg.dataset_check.check_dataset`` from Python.

    Args:
        fmt: the section's format.
        options: its keys and values (``format``, ``root`` and ``augmentations`` may be among
            them; they pass unchanged).
        source: the file (or ``--set`` item) named at the start of an error.

    Returns:
        A new dict of ``options``, the switches as bools.

    Raises:
        ConfigError: what those checks raise, naming ``source``.
    """
    check_data_keys(fmt, options, source)
    check_class_list(options.get("classes"), source)
    return check_data_switches(dict(options), source)


#: The option types :func:`check_data_switches` checks (:func:`option_type`'s typed results).
_TYPED: tuple[Any, ...] = (bool, str, str | None)


def _formats_with_key(
    key: str,
    fmt: str,
    defaults: Mapping[str, Mapping[str, Any]],
    segmentation: Mapping[str, Any],
) -> list[str]:
    """The formats that take ``key``; those of ``fmt``'s kind (detection or segmentation)
    when any of them does."""
    owners = [name for name, keys in defaults.items() if key in keys]
    same_kind = [name for name in owners if (name in segmentation) == (fmt in segmentation)]
    return same_kind or owners
