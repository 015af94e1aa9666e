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

The rules checked by parameter name (bounds of layer widths, ``model.backbone``, refused
values) are :mod:`detseg.config.model_arg_rules`, those that depend on the backbone named
(``model.output_stride``, ``model.trainable_layers``, a U-Net's ``model.decoder_channels``)
:mod:`detseg.config.backbone_arg_rules`; a nested section (``rpn``, ``loss``) is
checked field by field by :mod:`detseg.config.nested_section_checks`.
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Callable, Iterator
from typing import Any

from detseg.choices.torchvision_archs import (
    DETECTION_TWINS,
    SEGMENTATION_TWINS,
    TORCHVISION_ARCHS,
    TORCHVISION_INIT_PREFIX,
)
from detseg.config.backbone_arg_rules import check_backbone_stage_args
from detseg.config.model_arg_rules import (
    PARAMETER_BOUNDS,
    check_anchor_levels,
    check_backbone_args,
    check_item_bounds,
    check_refused,
    check_yolo_loss,
    check_yolo_version_args,
    refusals,
)
from detseg.config.nested_section_checks import check_value
from detseg.config.schema import ConfigError, ModelConfig
from detseg.config.suggest import did_you_mean

logger = logging.getLogger(__name__)

_ANNOTATION_ERRORS = (NameError, AttributeError, SyntaxError, TypeError)


#: How a model of one's own reaches the code that builds models by name (the end of the
#: unknown-model messages of :func:`check_model_section` and of
#: :func:`detseg.models.check_model_kwargs`).
OWN_BUILDER_NOTE = (
    "a builder of your own is added to detseg.models.MODELS first, from Python; then "
    "detseg.engine.train, detseg.load or a tool's cli() (detseg_tools.train.cli, "
    "detseg_tools.infer.cli, ...) in that process find it; --nproc and torchrun workers, "
    "processes of their own, do not"
)


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
            f"{source}: unknown model.name '{model.name}'{hint} (known: {', '.join(MODELS)}; "
            f"{OWN_BUILDER_NOTE})"
        )
    check_init_task(model.init_from, model.name, model.name in SEGMENTATION_MODELS, source)
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


def check_init_task(init_from: str | None, name: str, segmenter: bool, source: str) -> None:
    """``model.init_from: torchvision:<builder>`` names a builder of the model's task: a
    segmenter's weights share no tensor name with a detector (nor the other way round), so the
    run would stop at its start, after asking to download weights it cannot use.

    Args:
        init_from: ``model.init_from`` (a file path or null passes: it is read at the start).
        name: ``model.name``.
        segmenter: whether ``name`` builds a segmenter.
        source: the file named in the error.

    Raises:
        ConfigError: ``model.init_from 'torchvision:fcn_resnet50' holds a segmenter's weights,
            but model.name faster_rcnn builds a detector; ...``.
    """
    if init_from is None or not init_from.startswith(TORCHVISION_INIT_PREFIX):
        return
    arch = init_from[len(TORCHVISION_INIT_PREFIX) :]
    twins = SEGMENTATION_TWINS if segmenter else DETECTION_TWINS
    if arch in twins or arch not in TORCHVISION_ARCHS:  # an unknown name: schema's check
        return
    task, other = ("segmenter", "detector") if segmenter else ("detector", "segmenter")
    raise ConfigError(
        f"{source}: model.init_from {init_from!r} holds a {other}'s weights, but model.name "
        f"{name} builds a {task}: name a {task}'s weights "
        f"({', '.join(TORCHVISION_INIT_PREFIX + twin for twin in twins)}) or set "
        "model.name to the model of those weights"
    )


def models_taking(key: str, models: typing.Mapping[str, Callable[..., Any]]) -> list[str]:
    """The names of ``models`` (``detseg.models.MODELS``) whose builder takes ``key``, in
    their order there."""
    return [name for name, builder in models.items() if key in builder_keys(builder)]


def builder_keys(builder: Callable[..., Any]) -> list[str]:
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
    valid = builder_keys(builder)
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
        if value is None and refusals(tp):  # null: dropped, the builder's default stays
            continue
        if key in PARAMETER_BOUNDS:
            tp = typing.Annotated[tp, PARAMETER_BOUNDS[key]]
        checked[key] = check_value(value, tp, source, f"model.{key}", key)
        check_item_bounds(checked[key], source, key)
        check_refused(checked[key], tp, source, f"model.{key}")
    defaults = {k: p.default for k, p in params.items() if p.default is not p.empty}
    check_backbone_args(checked, defaults, source)
    check_backbone_stage_args(checked, defaults, source)  # after the backbone's name
    check_yolo_version_args(checked, defaults, source)  # before anchors laid on v3's levels
    check_yolo_loss(checked, defaults, source)
    check_anchor_levels(checked, defaults, source)
    return checked


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
