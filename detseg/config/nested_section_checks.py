"""Checking a nested section of the ``model`` section (Faster R-CNN's ``rpn``, a segmenter's
``loss``) field by field, as the settings dataclass the builder makes of it.

A nested section is a dict of the fields of a settings dataclass, which the builder makes with
:func:`detseg.config.sections.dataclass_from_dict`. The dataclass is known from the
annotation when it names it (``SegmentationLossConfig | dict[str, Any] | None``), else from
:data:`PLAIN_DICT_SECTIONS`. Its keys are checked by name and type, then the dataclass is
made once, so that its own checks (``__post_init__``: ranges, choices) run at load time too.
Separate from :mod:`detseg.config.model_section` (the builder's own arguments).
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import types
import typing
from typing import Any

from detseg.config.checks import coerce, unknown_key_error
from detseg.config.schema import ConfigError

logger = logging.getLogger(__name__)

#: Builder parameters annotated as a plain ``dict[str, Any]`` whose keys are the fields of a
#: settings dataclass: parameter name -> ``"module:class"``. A builder that names the class
#: in the annotation (``RPNConfig | dict[str, Any] | None``) needs no entry here.
PLAIN_DICT_SECTIONS: dict[str, str] = {
    "rpn": "detseg.detection.rpn:RPNConfig",
    "roi_heads": "detseg.detection.roi_heads:RoIHeadsConfig",
    "inference": "detseg.detection.yolo:YOLOInferenceConfig",
}


def check_value(value: Any, tp: Any, source: str, key_path: str, name: str = "") -> Any:
    """``value`` checked against annotation ``tp``; a nested section (see the module
    docstring; ``name`` is the parameter, for :data:`PLAIN_DICT_SECTIONS`) field by field."""
    section = _settings_class(tp, name)
    if section is not None and isinstance(value, dict):
        return check_section(value, section, source, key_path)
    return coerce(value, tp, source, key_path, lenient=True)


def check_section(values: dict[str, Any], cls: type, source: str, key_path: str) -> dict:
    """The fields of settings dataclass ``cls``: names, types, then ``cls(**values)`` for
    its own checks; the checked values (a new dict).

    Raises:
        ConfigError: an unknown key or a bad value, naming ``<key_path>.<field>``.
    """
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = [f.name for f in dataclasses.fields(cls)]
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            raise unknown_key_error(source, f"{key_path}.{key}", fields)
        checked[key] = check_value(value, hints.get(key, Any), source, f"{key_path}.{key}")
    try:
        cls(**checked)
    except ValueError as err:  # a message naming a bare field gets the section's path
        message = str(err) if str(err).startswith(key_path) else f"{key_path}.{err}"
        raise ConfigError(f"{source}: {message}") from None
    return checked


def _settings_class(tp: Any, name: str) -> type | None:
    """The settings dataclass of a nested section: a dataclass in annotation ``tp`` (alone or
    in a union), or the entry of :data:`PLAIN_DICT_SECTIONS` for a dict-typed ``name``."""
    members = typing.get_args(tp) if _is_union(tp) else (tp,)
    for member in members:
        if isinstance(member, type) and dataclasses.is_dataclass(member):
            return member
    is_dict = any(m is dict or typing.get_origin(m) is dict for m in members)
    if is_dict and name in PLAIN_DICT_SECTIONS:
        return _import_class(PLAIN_DICT_SECTIONS[name])
    return None


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _import_class(spec: str) -> type | None:
    """The class of ``"module:class"``, or ``None`` when it cannot be imported."""
    module_name, _, class_name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        logger.debug("not checking the fields of %s: %s", spec, err)
        return None
