"""Value checks shared by the config loader: a value against a type, an unknown key.

:func:`coerce` checks a value from YAML or ``--set`` against a type annotation (of a schema
dataclass field, or of a model builder's parameter) and converts what YAML gives to what
the field holds: an int where a float is wanted, a numeric string (YAML 1.1 reads ``1e-4``
as a string) to a float (a finite one: ``.inf`` and ``.nan`` are refused), a bool word as
text (``yes``, ``off``: what ``--set`` of a builder argument keeps as text, see
:func:`detseg.config.overrides.parse_open_value`) to a bool, a list where a sequence or tuple
is wanted (kept a list, so the config stays plain YAML).

Bounds are declared where the parameter is, with :class:`Range` in ``typing.Annotated``
(``nms_thresh: Annotated[float, Range(0, 1)] = 0.5``, ``max_size: Annotated[int, Range(1)]``):
:func:`coerce` checks them too.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import math
import numbers
import types
import typing
from typing import Annotated, Any, Literal

from detseg.argument_checks import plain_number
from detseg.config.schema import ConfigError
from detseg.config.suggest import did_you_mean

#: The words YAML 1.1 reads as a bool, as text. ``--set`` of a key whose type is known only
#: once the section is complete (a model builder's argument) keeps them as text, since they
#: may be names; where the type turns out to be ``bool`` they mean the bool, as they do in a
#: ``--set`` of a bool field of the schema (``train.ema=yes``).
_BOOL_WORDS: dict[str, bool] = {
    **dict.fromkeys(("true", "yes", "on", "y"), True),
    **dict.fromkeys(("false", "no", "off", "n"), False),
}

#: Annotations of a sequence of any length (YAML gives a list, a Python caller may pass a tuple).
_SEQUENCES = (list, tuple, collections.abc.Sequence)


@dataclasses.dataclass(frozen=True)
class Range:
    """The bounds of a number, as metadata of ``typing.Annotated``: ``Range(0, 1)`` is
    ``[0, 1]``, ``Range(1)`` is ``>= 1``, ``Range(0, low_open=True)`` is ``> 0``.

    Attributes:
        low, high: the bounds (``None``: none on that side).
        low_open, high_open: exclude the bound itself.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def contains(self, value: float) -> bool:
        """Whether ``value`` is within the bounds."""
        above = self.low is None or (value > self.low if self.low_open else value >= self.low)
        below = self.high is None or (value < self.high if self.high_open else value <= self.high)
        return above and below

    def describe(self) -> str:
        """``in [0, 1]``, ``>= 1``, ``> 0``, ``<= 5``."""
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        if self.high is not None:
            return f"{'<' if self.high_open else '<='} {self.high:g}"
        return "any number"


class UnsupportedType(TypeError):
    """:func:`coerce` met a type annotation it cannot check."""


def unknown_key_error(source: str, key_path: str, valid: typing.Iterable[str]) -> ConfigError:
    """``<source>: unknown key 'a.b'; did you mean 'a.c' (valid keys here: ...)``."""
    valid = sorted(valid)
    name = key_path.rsplit(".", 1)[-1]
    hint = did_you_mean(name, valid, prefix=key_path[: -len(name)])
    return ConfigError(
        f"{source}: unknown key '{key_path}'{hint} (valid keys here: {', '.join(valid)})"
    )


def coerce(value: Any, tp: Any, source: str, key_path: str, lenient: bool = False) -> Any:
    """Check ``value`` against type ``tp``; convert ints to floats and numeric strings.

    Args:
        value: what YAML (or an override) gave.
        tp: the type: ``bool``, ``int``, ``float``, ``str``, ``Any``, ``Literal[...]``, a union
            (``X | None``, ``int | Sequence[int]``: the first alternative that fits),
            ``list[X]``, ``Sequence[X]``, ``tuple[X, ...]``, ``tuple[X, Y]`` (that many
            items), ``dict[...]``, ``Annotated[X, Range(...)]`` (``X`` within the bounds).
        source: the file (or ``<checkpoint>``) named in the error.
        key_path: the key named in the error (``train.lr``, ``model.rpn.nms_thresh``).
        lenient: accept any value for a type that is not in the list above (a builder
            parameter may have any annotation); otherwise that is a bug of the schema.

    Returns:
        The value, converted; a sequence or tuple comes back as a list.

    Raises:
        ConfigError: ``'<key_path>' must be <type>, got <value>`` (or ``must be in [0, 1]``).
        UnsupportedType: ``tp`` is not in the list above, unless ``lenient``.
    """
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    bad = ConfigError(
        f"{source}: '{key_path}' must be {type_name(tp)}, got {value!r}{_quote_hint(value, tp)}"
    )
    if tp is Any:
        return value
    if origin is Annotated:
        return _coerce_annotated(value, tp, source, key_path, lenient)
    if origin in (typing.Union, types.UnionType):
        return _coerce_union(value, tp, source, key_path, lenient, bad)
    if origin is Literal:
        if isinstance(value, bool) and not any(arg is value for arg in args):
            raise ConfigError(
                f"{source}: '{key_path}' must be one of {list(args)}, got {value!r}: YAML reads "
                "yes/no/on/off/true/false as a boolean; write one of "
                f"{', '.join(map(str, args))}"
            )
        if not any(_same_literal(value, arg) for arg in args):
            raise ConfigError(f"{source}: '{key_path}' must be one of {list(args)}, got {value!r}")
        return value
    if origin is tuple or origin in _SEQUENCES or tp in _SEQUENCES:
        return _coerce_sequence(value, tp, source, key_path, lenient, bad)
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise bad
        return dict(value)
    if tp is bool and isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
        return _BOOL_WORDS[value.strip().lower()]
    if tp in (bool, int, float, str):
        return _coerce_scalar(value, tp, bad, f"{source}: '{key_path}'")
    if lenient:
        return value
    raise UnsupportedType(f"unsupported config field type {tp!r} at {key_path}")


def _same_literal(value: Any, arg: Any) -> bool:
    """Whether ``value`` is the ``Literal`` choice ``arg``: equal and of its type. Python's
    ``2.0 == 2`` would let a float through as an int choice (``Literal[1, 2]`` given ``2.0``),
    which an ``int`` field refuses too (:func:`_coerce_scalar`): a float where a whole number
    is wanted is most often a typo of another key's value."""
    return type(value) is type(arg) and value == arg


def _config_alternatives(tp: Any) -> tuple[Any, ...]:
    """The alternatives of union ``tp`` that a config value can be: all but the ``Enum``
    markers of a builder's Python API (e.g. ``int | None | VersionDefault``: a default that
    depends on another argument), which YAML cannot give."""
    return tuple(
        a for a in typing.get_args(tp) if not (isinstance(a, type) and issubclass(a, enum.Enum))
    )


def _coerce_annotated(value: Any, tp: Any, source: str, key_path: str, lenient: bool) -> Any:
    """The value checked against the type of ``Annotated[type, ...]``, then its
    :class:`Range` metadata (a null value has no bounds)."""
    value = coerce(value, typing.get_args(tp)[0], source, key_path, lenient)
    for bounds in (m for m in tp.__metadata__ if isinstance(m, Range)):
        if value is not None and not bounds.contains(value):
            raise ConfigError(f"{source}: '{key_path}' must be {bounds.describe()}, got {value!r}")
    return value


def _coerce_union(
    value: Any, tp: Any, source: str, key_path: str, lenient: bool, bad: ConfigError
) -> Any:
    """The value as the first alternative of union ``tp`` that takes it (``None`` for null).
    A union of one type and null (``float | None``) gives that type's own error (a bound, a
    number that is not finite), which says more than "a float or null"."""
    args = _config_alternatives(tp)
    if value is None and type(None) in args:
        return None
    alternatives = [a for a in args if a is not type(None)]
    if len(alternatives) == 1 and value is not None:
        try:
            return coerce(value, alternatives[0], source, key_path, lenient)
        except ConfigError as err:  # a bound of this key, else the union's words ("or null")
            own_key = str(err).startswith(f"{source}: '{key_path}' must be ")
            wrong_type = str(err).startswith(
                f"{source}: '{key_path}' must be {type_name(alternatives[0])}, got"
            )
            raise err if own_key and not wrong_type else bad from None
    for alternative in alternatives:
        try:
            return coerce(value, alternative, source, key_path, lenient)
        except ConfigError:
            continue
    raise bad


def _coerce_sequence(
    value: Any, tp: Any, source: str, key_path: str, lenient: bool, bad: ConfigError
) -> list[Any]:
    """A list or tuple checked item by item against ``Sequence[X]``, ``list[X]`` or a tuple
    type (``tuple[X, ...]``, or ``tuple[X, Y]`` of exactly that many items)."""
    origin, args = typing.get_origin(tp) or tp, typing.get_args(tp)
    if not isinstance(value, list | tuple) or (origin is list and isinstance(value, tuple)):
        raise bad
    if origin is tuple and args and args[-1] is not Ellipsis:
        if len(value) != len(args):
            raise bad
        item_types = list(args)
    else:
        item_types = [args[0] if args else Any] * len(value)
    return [
        coerce(v, t, source, f"{key_path}[{i}]", lenient)
        for i, (v, t) in enumerate(zip(value, item_types, strict=True))
    ]


def _coerce_scalar(value: Any, tp: type, bad: ConfigError, where: str) -> Any:
    """A bool, int, float or str (an int or a numeric string is taken as a float, a numpy
    integer as an int, a 0-d tensor or numpy number as its number:
    :func:`~detseg.argument_checks.plain_number`; a float must be finite: no setting of
    detseg means anything at ``inf`` or NaN, and the range checks would let ``inf`` through).
    ``where`` (``"<source>: '<key>'"``) starts an error."""
    value = plain_number(value)  # a 0-d tensor or numpy number of an overrides mapping
    if isinstance(value, bool) and tp is not bool:
        raise bad
    if tp is float:
        try:  # YAML 1.1 reads "1e-4" as a string; accept it as a float.
            number = float(value)
        except (TypeError, ValueError):
            raise bad from None
        if not math.isfinite(number):
            raise ConfigError(f"{where} must be a finite number, got {value!r}")
        return number
    if tp is int and isinstance(value, numbers.Integral):  # np.int64(5) of an overrides mapping
        return int(value)
    if not isinstance(value, tp):
        raise bad
    return value


def _quote_hint(value: Any, tp: Any) -> str:
    """A hint for a number where text is wanted (``work_dir: 2017``, ``data.train_images:
    2017``): YAML reads an unquoted ``2017`` as a number, a folder of that name is quoted."""
    wants_text = tp is str or str in typing.get_args(tp)
    if wants_text and isinstance(value, int | float) and not isinstance(value, bool):
        return f" (YAML reads {value!r} as a number; write '{value}' in quotes for the name)"
    return ""


#: How :func:`type_name` says the plain types: ``(one, several)``.
_SCALAR_NAMES: dict[Any, tuple[str, str]] = {
    bool: ("a bool", "bools"),
    int: ("an int", "ints"),
    float: ("a float", "floats"),
    str: ("a string", "strings"),
    type(None): ("null", "nulls"),
}


def type_name(tp: Any, plural: bool = False) -> str:
    """``a float``, ``an int or null``, ``a list of ints``, ``a list of lists of floats``,
    ``a list of 2 items (an int, a float)``...; with ``plural``, the items of a list
    (``ints``, ``lists of ints``)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        return type_name(args[0], plural)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a, plural) for a in _config_alternatives(tp))
    if origin is Literal:
        return f"{'values from' if plural else 'one of'} " + ", ".join(repr(a) for a in args)
    if origin is tuple and args and args[-1] is not Ellipsis:
        items = ", ".join(type_name(a) for a in args)
        return f"{'lists' if plural else 'a list'} of {len(args)} items ({items})"
    if origin is tuple or origin in _SEQUENCES or tp in _SEQUENCES:
        kind = "lists" if plural else "a list"
        return f"{kind} of {type_name(args[0], plural=True)}" if args else kind
    if origin is dict or tp is dict:
        return "mappings" if plural else "a mapping"
    if tp in _SCALAR_NAMES:
        return _SCALAR_NAMES[tp][plural]
    name = getattr(tp, "__name__", str(tp))
    return f"{name} values" if plural else f"a {name}"
