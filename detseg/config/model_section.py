"""Checking the ``model`` section: ``model.name``, and each builder keyword argument by name
and by type.

The keys of ``model`` (but ``name``, ``init_from`` and ``compile``) are the keyword arguments
of the builder ``detseg.models.MODELS[name]``. Each is checked against the builder's signature
(an unknown key gets the closest parameter, or, when other builders take it, those models:
a key left from another model's config is no typo) and against the parameter's type annotation
(:func:`detseg.config.checks.coerce`): ``model.min_size=abc`` is an error when the config is
loaded, not a traceback when the model is built. A parameter whose default is ``None`` takes
null; an annotation the checks do not know is not checked. Bounds are checked where the
annotation declares them: ``nms_thresh: Annotated[float, Range(0, 1)]``
(:class:`detseg.config.checks.Range`), on a builder parameter or a settings dataclass field.

A builder parameter that the builder takes only to refuse one value (LR-ASPP's ``aux_loss``:
no auxiliary head, as torchvision's ``lraspp_mobilenet_v3_large`` refuses it) declares it as
``Annotated[bool, Refused(True, reason)]`` (:class:`Refused`): that value is an error when the
config is loaded, with the reason; null drops the key (the builder's default).

Parameters that many builders share are checked by name, whatever their annotation
(:data:`PARAMETER_BOUNDS`, :func:`check_backbone_args`): ``model.backbone`` must be a name of
``detseg.backbones.BACKBONES`` (a typo gets the closest name), ``model.width_mult`` be > 0, and
other than 1 only on a MobileNet, and the layer widths (``model.fpn_channels``,
``model.representation_size``, ...) be >= 1, as each item of the lists of widths or
dilations (:data:`ITEM_BOUNDS`: ``model.mask_layers``, ``model.decoder_channels``,
``model.atrous_rates``); so their errors name the key and come before the data loads.

A nested section (Faster R-CNN's ``rpn``, a segmenter's ``loss``) is a dict of the fields of
a settings dataclass, which the builder makes with
:func:`detseg.config.sections.dataclass_from_dict`. The dataclass is known from the
annotation when it names it (``SegmentationLossConfig | dict[str, Any] | None``), else from
:data:`PLAIN_DICT_SECTIONS`. Its keys are checked by name and type, then the dataclass is
made once, so that its own checks (``__post_init__``: ranges, choices) run at load time too.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import logging
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

from detseg.config.checks import Range, coerce, unknown_key_error
from detseg.config.schema import ConfigError, ModelConfig
from detseg.config.suggest import did_you_mean

logger = logging.getLogger(__name__)

#: Builder parameters annotated as a plain ``dict[str, Any]`` whose keys are the fields of a
#: settings dataclass: parameter name -> ``"module:class"``. A builder that names the class
#: in the annotation (``RPNConfig | dict[str, Any] | None``) needs no entry here.
PLAIN_DICT_SECTIONS: dict[str, str] = {
    "rpn": "detseg.detection.rpn:RPNConfig",
    "roi_heads": "detseg.detection.roi_heads:RoIHeadsConfig",
    "inference": "detseg.detection.yolo:YOLOInferenceConfig",
}

#: Bounds of builder parameters, by name, for every builder that takes one (the builders
#: annotate them as a plain ``float`` or ``int``): the layer widths are at least 1 channel
#: (a 0-channel layer builds, then fails at the first call or gives a head of no features).
PARAMETER_BOUNDS: dict[str, Range] = {
    "width_mult": Range(0, low_open=True),
    **dict.fromkeys(
        (
            "fpn_channels",
            "representation_size",
            "mask_dim_reduced",
            "head_channels",
            "neck_channels",
            "inter_channels",
            "fc_channels",
            "base_channels",
        ),
        Range(1),
    ),
}

#: Bounds of each item of list-valued builder parameters, by name (the builders annotate them
#: as ``Sequence[int]``, which checks the type of each item only): the widths of a head's
#: layers and the dilations of ASPP's branches are whole numbers of at least 1 (a 0 builds a
#: 0-channel layer or a 0-dilation convolution, which fails only when the model is built or
#: first called, after the data loads).
ITEM_BOUNDS: dict[str, Range] = dict.fromkeys(
    ("mask_layers", "decoder_channels", "atrous_rates"), Range(1)
)

_ANNOTATION_ERRORS = (NameError, AttributeError, SyntaxError, TypeError)


@dataclasses.dataclass(frozen=True)
class Refused:
    """A value of a builder parameter that the builder refuses, as metadata of
    ``typing.Annotated`` (``Annotated[bool, Refused(True, "lraspp has no auxiliary head")]``),
    so that a config giving it fails when loaded.

    Attributes:
        value: the refused value. reason: one line saying why and what to do instead.
    """

    value: Any
    reason: str


def _refusals(tp: Any) -> list[Refused]:
    """The :class:`Refused` metadata of annotation ``tp`` (none unless ``Annotated``)."""
    metadata = getattr(tp, "__metadata__", ()) if typing.get_origin(tp) is typing.Annotated else ()
    return [m for m in metadata if isinstance(m, Refused)]


def check_refused(value: Any, tp: Any, source: str, key_path: str) -> None:
    """Raise ``ConfigError`` (``<source>: 'model.aux_loss' = True: <reason>``) when ``value``
    is a :class:`Refused` value of annotation ``tp``."""
    for refused in _refusals(tp):
        if type(value) is type(refused.value) and value == refused.value:
            raise ConfigError(f"{source}: '{key_path}' = {value!r}: {refused.reason}")


def check_model_section(
    model: ModelConfig, source: str, droppable: typing.Collection[str] = ()
) -> None:
    """Validate ``model.name`` and its kwargs against the builder, when importable; replace
    ``model.kwargs`` by the checked values (``1e-4`` a float, ...).

    Args:
        model: the section.
        source: the file named in errors.
        droppable: keys that are removed when they are null and the builder does not take
            them (``--set model.fpn=null`` after ``--set model.name=retinanet`` on a Faster
            R-CNN config drops the key of the other model). A null key that the builder does
            not take but another model's does (``fpn: null`` in a file that sets
            ``model.name`` over a base of another model) is removed too.

    Raises:
        ConfigError: no or an unknown ``model.name``, ``model.num_classes``, a flat
            segmentation key that moved to a section, an unknown key (naming the model's
            keys, and the closest one or the other models that take it), a value of a wrong type
            or out of its settings dataclass's range.
    """
    if not model.name:
        raise ConfigError(f"{source}: 'model.name' is required (a key of detseg.models.MODELS)")
    if "num_classes" in model.kwargs:
        raise ConfigError(
            f"{source}: 'model.num_classes' is not a config key: it is derived from the "
            "dataset's classes; remove it"
        )
    try:
        from detseg.models import MODELS
        from detseg.segmentation import SEGMENTATION_MODELS
        from detseg.segmentation.settings import check_moved_keys
    except ImportError as err:  # models not importable (partial install): build_model checks later
        logger.debug("skipping model kwargs check: %s", err)
        return
    if model.name not in MODELS:
        hint = did_you_mean(model.name, MODELS)
        raise ConfigError(
            f"{source}: unknown model.name '{model.name}'{hint} (known: {', '.join(MODELS)}; a "
            "builder of your own is added to detseg.models.MODELS first, see docs/extending.md)"
        )
    if model.name in SEGMENTATION_MODELS:
        try:
            check_moved_keys(model.kwargs)
        except ValueError as err:
            raise ConfigError(f"{source}: {err}") from None
    params = inspect.signature(MODELS[model.name]).parameters
    model.kwargs = {
        key: value
        for key, value in model.kwargs.items()
        if not (
            value is None and key not in params and (key in droppable or models_taking(key, MODELS))
        )
    }
    model.kwargs = check_builder_kwargs(MODELS[model.name], model.kwargs, source, model.name)


def models_taking(key: str, models: typing.Mapping[str, Callable[..., Any]]) -> list[str]:
    """The names of ``models`` (``detseg.models.MODELS``) whose builder takes ``key``, in
    their order there."""
    return [name for name, builder in models.items() if key in _builder_keys(builder)]


def _builder_keys(builder: Callable[..., Any]) -> list[str]:
    """The config keys of a builder: its parameters but ``num_classes`` and ``**kwargs``."""
    params = inspect.signature(builder).parameters
    return [n for n, p in params.items() if n != "num_classes" and p.kind != p.VAR_KEYWORD]


def unknown_model_key_error(
    source: str, key: str, valid: typing.Iterable[str], name: str = ""
) -> ConfigError:
    """``<source>: unknown key 'model.<key>'`` with the keys of model ``name``, and either the
    closest of them (a typo) or, for a key that other builders take (one left from another
    model's config: a "did you mean" would name a key it is no typo of), those models."""
    valid = sorted(valid)
    others: list[str] = []
    try:
        from detseg.models import MODELS

        others = [other for other in models_taking(key, MODELS) if other != name]
    except ImportError:  # models not importable (partial install): a plain suggestion
        pass
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        reason = f": model {name or 'in use'} does not take model.{key}, a key of other models "
        reason += f"({shown})"
    else:
        reason = did_you_mean(key, valid, prefix="model.")
    listed = f"valid keys of {name}" if name else "valid keys here"
    return ConfigError(
        f"{source}: unknown key 'model.{key}'{reason} ({listed}: {', '.join(valid)})"
    )


def check_builder_kwargs(
    builder: Callable[..., Any], kwargs: dict[str, Any], source: str, name: str = ""
) -> dict[str, Any]:
    """``kwargs`` checked against ``builder``'s parameters: names (unless it takes
    ``**kwargs``) and types. ``name``: the model's (``model.name``), named in errors.

    Returns:
        The checked values (a new dict).
    """
    params = inspect.signature(builder).parameters
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    valid = _builder_keys(builder)
    checked: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key not in valid:
            if not open_ended:
                raise unknown_model_key_error(source, key, valid, name)
            checked[key] = value
            continue
        param = params[key]
        if value is None and param.default is None:
            checked[key] = None
            continue
        tp = _annotation(builder, param)
        if value is None and _refusals(tp):  # null: dropped, the builder's default stays
            continue
        if key in PARAMETER_BOUNDS:
            tp = typing.Annotated[tp, PARAMETER_BOUNDS[key]]
        checked[key] = check_value(value, tp, source, f"model.{key}", key)
        check_item_bounds(checked[key], source, key)
        check_refused(checked[key], tp, source, f"model.{key}")
    defaults = {k: p.default for k, p in params.items() if p.default is not p.empty}
    check_backbone_args(checked, defaults, source)
    check_anchor_levels(checked, source)
    return checked


def check_item_bounds(value: Any, source: str, key: str) -> None:
    """Each item of list ``value`` of builder parameter ``key`` is a whole number within
    :data:`ITEM_BOUNDS` ``[key]`` (no bounds for other keys; null or a non-list is not checked
    here, its type is).

    Raises:
        ConfigError: ``'model.atrous_rates' must be a list of whole numbers >= 1, got
            [0, 6, 9] (item 0 is 0)``.
    """
    bounds = ITEM_BOUNDS.get(key)
    if bounds is None or not isinstance(value, list | tuple):
        return
    for index, item in enumerate(value):
        whole = isinstance(item, int) and not isinstance(item, bool)
        if not whole or not bounds.contains(item):
            raise ConfigError(
                f"{source}: 'model.{key}' must be a list of whole numbers {bounds.describe()}, "
                f"got {list(value)!r} (item {index} is {item!r})"
            )


def check_anchor_levels(kwargs: dict[str, Any], source: str) -> None:
    """``model.anchor_sizes`` and ``model.aspect_ratios``, when both are given as lists, have
    one entry per feature level each, so as many entries.

    Raises:
        ConfigError: ``'model.anchor_sizes' has 1 levels but 'model.aspect_ratios' has 4 ...``.
    """
    sizes, ratios = kwargs.get("anchor_sizes"), kwargs.get("aspect_ratios")
    if isinstance(sizes, list | tuple) and isinstance(ratios, list | tuple):
        if len(sizes) != len(ratios):
            raise ConfigError(
                f"{source}: 'model.anchor_sizes' has {len(sizes)} levels but "
                f"'model.aspect_ratios' has {len(ratios)}; give one list of each per feature "
                "level (or remove model.aspect_ratios: (0.5, 1.0, 2.0) at every level)"
            )


def check_backbone_args(kwargs: dict[str, Any], defaults: dict[str, Any], source: str) -> None:
    """``backbone`` and ``width_mult`` of a builder whose default ``backbone`` is a name of
    ``detseg.backbones.BACKBONES`` (every detseg builder that takes a name).

    ``backbone`` must be such a name too (a builder may take fewer, which it checks);
    ``width_mult`` other than 1 needs a MobileNet (as ``build_model_backbone`` says).

    Args:
        kwargs: The checked arguments.
        defaults: The builder's defaults.

    Raises:
        ConfigError: ``unknown model.backbone 'resnt50'; did you mean 'resnet50'? (known: ...)``,
            a backbone that is not a string, or ``'model.width_mult' is 0.5, which needs a
            MobileNet backbone ...``.
    """
    from detseg.backbones import BACKBONES, PLAIN_BACKBONES  # importable with the builders

    if defaults.get("backbone") not in BACKBONES:  # no backbone name, or not detseg's
        return
    merged = defaults | kwargs
    name, width_mult = merged["backbone"], merged.get("width_mult", 1.0)
    if not isinstance(name, str):  # a module is for the Python API: a config names one
        raise ConfigError(
            f"{source}: 'model.backbone' must be a string, a name of detseg.backbones.BACKBONES, "
            f"got {type(name).__name__} {name!r}"
        )
    if name not in BACKBONES:
        raise ConfigError(
            f"{source}: unknown model.backbone '{name}'{did_you_mean(name, BACKBONES)} "
            f"(known: {', '.join(PLAIN_BACKBONES)})"
        )
    if width_mult != 1.0 and not name.startswith("mobilenet"):
        raise ConfigError(
            f"{source}: 'model.width_mult' is {width_mult}, which needs a MobileNet backbone, "
            f"but model.backbone is '{name}'; set model.width_mult to 1.0 (or remove it) or "
            "pick mobilenet_v2 / mobilenet_v3_large"
        )


def check_value(value: Any, tp: Any, source: str, key_path: str, name: str = "") -> Any:
    """``value`` checked against annotation ``tp``; a nested section (see the module
    docstring; ``name`` is the parameter, for :data:`PLAIN_DICT_SECTIONS`) field by field."""
    section = _settings_class(tp, name)
    if section is not None and isinstance(value, dict):
        return _check_section(value, section, source, key_path)
    return coerce(value, tp, source, key_path, lenient=True)


def _check_section(values: dict[str, Any], cls: type, source: str, key_path: str) -> dict:
    """The fields of settings dataclass ``cls``: names, types, then ``cls(**values)`` for
    its own checks."""
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


def _annotation(builder: Callable[..., Any], param: inspect.Parameter) -> Any:
    """The type annotation of a builder parameter, resolved (``from __future__ import
    annotations`` leaves strings) in the builder's module, or else in the module of a
    function that module imports (a preset's ``__signature__`` is its base builder's, with
    the base module's names); ``Any`` when absent or unresolved (then not checked)."""
    annotation = param.annotation
    if annotation is inspect.Parameter.empty:
        return Any
    if not isinstance(annotation, str):
        return annotation
    for namespace in _namespaces(builder):
        try:
            return eval(annotation, dict(namespace))  # noqa: S307 (detseg's own annotation)
        except _ANNOTATION_ERRORS:
            continue
    logger.debug("not checking %s: annotation %r does not resolve", param.name, annotation)
    return Any


def _namespaces(builder: Callable[..., Any]) -> Iterator[dict[str, Any]]:
    """The globals of ``builder``'s module, then those of the functions it imports."""
    own: dict[str, Any] = getattr(inspect.unwrap(builder), "__globals__", {})
    yield own
    seen = {id(own)}
    for value in list(own.values()):
        module_globals = getattr(value, "__globals__", None)
        if inspect.isfunction(value) and id(module_globals) not in seen:
            seen.add(id(module_globals))
            yield value.__globals__
