"""Rules on model builder arguments checked by name or by annotation metadata: bounds of
layer widths, ``model.backbone`` / ``model.width_mult``, anchor levels, refused values.

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
``model.atrous_rates``) and of ``model.fixed_size`` (two of them, :data:`ITEM_NAMES`). The
other bounds of :data:`PARAMETER_BOUNDS` (``model.pool_size``, ``model.norm_eps``,
``model.norm_momentum``, the focal loss's, SSD's anchor ratios) are checked the same way, and
every number of the anchor lists is > 0 (:data:`POSITIVE_ITEMS`: ``model.anchor_sizes``,
``model.aspect_ratios``, ``model.anchors``, SSD's ``model.scales`` and ``model.steps``). So
their errors name the key and come before the data loads. The YOLO builders' settings of one
version are refused on the other (:func:`check_yolo_version_args`: ``model.anchors`` on v1,
``model.grid_size`` on v3, ...) when the config is loaded too, and their ``model.loss`` is
checked against the version's loss settings (:func:`check_yolo_loss`).
Separate from :mod:`detseg.config.model_section`, which checks each key against the builder's
signature and annotations and applies these rules.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from typing import Any

from detseg.config.checks import Range
from detseg.config.schema import ConfigError
from detseg.config.suggest import did_you_mean

#: Bounds of builder parameters, by name, for every builder that takes one (the builders
#: annotate them as a plain ``float`` or ``int``): the layer widths are at least 1 channel
#: (a 0-channel layer builds, then fails at the first call or gives a head of no features);
#: the others are values the model refuses only once built or in its first step, or would
#: take without a meaning.
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
    # RoIAlign's output grid (a 0 grid fails in the first step, after the run has started)
    "pool_size": Range(1),
    # the norm layers' eps (BatchNorm refuses eps <= 0 in the first step) and momentum
    "norm_eps": Range(0, low_open=True),
    "norm_momentum": Range(0, 1),
    # the focal loss: an alpha below 0 turns the class weighting off; gamma >= 0
    "focal_alpha": Range(high=1),
    "focal_gamma": Range(0),
    # SSD's smallest and largest anchor scales (fractions of the input; square roots of them)
    "min_ratio": Range(0, low_open=True),
    "max_ratio": Range(0, low_open=True),
}

#: Bounds of each item of list-valued builder parameters, by name (the builders annotate them
#: as ``Sequence[int]``, which checks the type of each item only): the widths of a head's
#: layers and the dilations of ASPP's branches are whole numbers of at least 1 (a 0 builds a
#: 0-channel layer or a 0-dilation convolution, which fails only when the model is built or
#: first called, after the data loads).
ITEM_BOUNDS: dict[str, Range] = dict.fromkeys(
    ("mask_layers", "decoder_channels", "atrous_rates", "fixed_size"), Range(1)
)

#: List-valued builder parameters of a fixed number of items, by name: what each item is.
ITEM_NAMES: dict[str, tuple[str, ...]] = {"fixed_size": ("height", "width")}

#: Builder parameters of (nested) lists of numbers that are all > 0, by name: the anchor sizes
#: and aspect ratios per feature level, YOLOv3's anchor (width, height) pairs and SSD's scales
#: and steps (a 0 or negative one gives anchors of no area or of negative size: NaN losses in
#: the first step, a math error when the model is built, or boxes that never match).
POSITIVE_ITEMS: frozenset[str] = frozenset(
    {"anchor_sizes", "aspect_ratios", "anchors", "scales", "steps"}
)

#: List-valued builder parameters that need at least one item: ASPP without a dilated branch
#: has no ``atrous_rates`` to build (the builder refuses ``[]`` only after the data loads).
NON_EMPTY: frozenset[str] = frozenset({"atrous_rates"})


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


def refusals(tp: Any) -> list[Refused]:
    """The :class:`Refused` metadata of annotation ``tp`` (none unless ``Annotated``)."""
    metadata = getattr(tp, "__metadata__", ()) if typing.get_origin(tp) is typing.Annotated else ()
    return [m for m in metadata if isinstance(m, Refused)]


def check_refused(value: Any, tp: Any, source: str, key_path: str) -> None:
    """Raise ``ConfigError`` (``<source>: 'model.aux_loss' = True: <reason>``) when ``value``
    is a :class:`Refused` value of annotation ``tp``."""
    for refused in refusals(tp):
        if type(value) is type(refused.value) and value == refused.value:
            raise ConfigError(f"{source}: '{key_path}' = {value!r}: {refused.reason}")


def check_item_bounds(value: Any, source: str, key: str) -> None:
    """Each item of list ``value`` of builder parameter ``key`` is a whole number within
    :data:`ITEM_BOUNDS` ``[key]`` (no bounds for other keys; null or a non-list is not checked
    here, its type is), and a key of :data:`ITEM_NAMES` has that many items; every number of a
    key of :data:`POSITIVE_ITEMS` is > 0.

    Raises:
        ConfigError: ``'model.atrous_rates' must be a list of whole numbers >= 1, got
            [0, 6, 9] (item 0 is 0)``, an empty list of a :data:`NON_EMPTY` key,
            ``'model.fixed_size' must be a list of 2 whole numbers >= 1 (height, width)``, or
            ``'model.anchor_sizes[0][0]' must be > 0, got 0``.
    """
    if key in POSITIVE_ITEMS:
        _check_positive(value, source, f"model.{key}")
    bounds = ITEM_BOUNDS.get(key)
    if bounds is None or not isinstance(value, list | tuple):
        return
    if not value and key in NON_EMPTY:
        raise ConfigError(
            f"{source}: 'model.{key}' must be a non-empty list of whole numbers "
            f"{bounds.describe()}, got []; give at least one (e.g. [6, 12, 18]) or remove the key "
            "for the model's default"
        )
    names = ITEM_NAMES.get(key)
    if names is not None and len(value) != len(names):
        raise ConfigError(
            f"{source}: 'model.{key}' must be a list of {len(names)} whole numbers "
            f"{bounds.describe()} ({', '.join(names)}), got {list(value)!r}"
        )
    for index, item in enumerate(value):
        whole = isinstance(item, int) and not isinstance(item, bool)
        if not whole or not bounds.contains(item):
            raise ConfigError(
                f"{source}: 'model.{key}' must be a list of whole numbers {bounds.describe()}, "
                f"got {list(value)!r} (item {index} is {item!r})"
            )


def _check_positive(value: Any, source: str, key_path: str) -> None:
    """Each number in the (nested) lists ``value`` is > 0; other items are the type check's.

    Raises:
        ConfigError: ``'model.anchor_sizes[0][1]' must be > 0, got 0``.
    """
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_positive(item, source, f"{key_path}[{index}]")
    elif isinstance(value, int | float) and not isinstance(value, bool) and not value > 0:
        raise ConfigError(f"{source}: '{key_path}' must be > 0, got {value!r}")


#: The per-level anchor keys of the detector builders and how many entries each takes beyond
#: one per feature level: SSD's ``scales`` has the extra ``s_m`` of its largest boxes.
ANCHOR_LEVEL_KEYS: dict[str, int] = {
    "anchor_sizes": 0,
    "aspect_ratios": 0,
    "scales": 1,
    "steps": 0,
    "anchors": 0,
}


def check_anchor_levels(kwargs: dict[str, Any], defaults: dict[str, Any], source: str) -> None:
    """``model.anchor_sizes`` and ``model.aspect_ratios``, where given as lists, have as many
    entries, and these (or a preset's defaults) one per feature level of the model
    (:func:`feature_levels`, where known before the build), as the builder requires once the
    data has loaded; so do SSD's ``model.aspect_ratios``, ``model.steps`` and
    ``model.scales`` (one more) and YOLOv3's ``model.anchors``. A YOLOv3 without
    ``model.anchors`` whose ``model.return_layers`` are not three is refused by its builder,
    not here: ``tools/anchors.py`` reads such a config to print the anchors it needs.

    Args:
        kwargs: the checked arguments.
        defaults: the builder's defaults.

    Raises:
        ConfigError: ``'model.anchor_sizes' has 3 levels but the model has 5 feature levels
            ...``, or ``'model.anchor_sizes' has 1 levels but 'model.aspect_ratios' has 4``.
    """
    sizes, ratios = kwargs.get("anchor_sizes"), kwargs.get("aspect_ratios")
    if isinstance(sizes, list | tuple) and isinstance(ratios, list | tuple):
        if len(sizes) != len(ratios):
            raise ConfigError(
                f"{source}: 'model.anchor_sizes' has {len(sizes)} levels but "
                f"'model.aspect_ratios' has {len(ratios)}; give one list of each per feature "
                "level (or remove model.aspect_ratios: (0.5, 1.0, 2.0) at every level)"
            )
    merged = defaults | kwargs
    levels = feature_levels(merged)
    if levels is None:
        return
    for key, extra in ANCHOR_LEVEL_KEYS.items():
        value = merged.get(key)
        if isinstance(value, list | tuple) and len(value) != levels + extra:
            given = "" if key in kwargs else " (the model's default)"
            entries = f"{len(value)} entries" if extra else f"{len(value)} levels"
            per_level = f"{levels + extra} entries" if extra else "one list per level"
            raise ConfigError(
                f"{source}: 'model.{key}'{given} has {entries} but the model has "
                f"{levels} feature levels ({_levels_from(merged)}); give {per_level}"
                + (f", or remove model.{key} for the defaults" if given == "" else "")
            )


def _is_yolo_v3(merged: dict[str, Any]) -> bool:
    """Whether ``merged`` are the arguments of the YOLO builder for a v3 model (the one that
    lays ``anchors`` on its levels; v1 refuses them)."""
    return "anchors" in merged and merged.get("version") == "v3"


def _head_levels(merged: dict[str, Any]) -> tuple[str, int] | None:
    """``(where the levels come from, their number)`` for the SSD builders (their backbones'
    six levels) and YOLOv3 (the distinct ``model.return_layers``, else ``c3, c4, c5``);
    ``None`` for other builders."""
    from detseg.detection.ssd import SSD_BACKBONES, SSD_FEATURE_LEVELS

    if "min_ratio" in merged and "steps" in merged and merged.get("backbone") in SSD_BACKBONES:
        return f"the SSD {merged['backbone']} backbone's levels", SSD_FEATURE_LEVELS
    if not _is_yolo_v3(merged):
        return None
    layers = merged.get("return_layers")
    if layers is None:
        layers = ["c3", "c4", "c5"]
    if not isinstance(layers, list | tuple) or not layers:
        return None  # the builder's own message names what is wrong with return_layers
    distinct = list(dict.fromkeys(layers))
    return f"{merged.get('backbone')} levels {distinct} (model.return_layers)", len(distinct)


def _backbone_levels(merged: dict[str, Any]) -> tuple[list[str], int] | None:
    """``(the backbone levels used, the levels the FPN adds)`` of a detector builder's
    arguments ``merged`` (its defaults updated by the config), for a named detseg backbone of
    a builder that takes ``fpn`` (Faster / Mask R-CNN: the FPN adds a max-pool level) or
    ``p6p7_from`` (RetinaNet: P6 and P7); ``None`` otherwise (not known before the build)."""
    from detseg.detection.retinanet_backbone import RETINANET_LEVELS
    from detseg.detection.two_stage_backbone import _FPN_LEVELS, _SINGLE_LEVEL, BACKBONE_FAMILY

    family = BACKBONE_FAMILY.get(merged.get("backbone"))  # type: ignore[arg-type]
    layers = merged.get("return_layers")
    layers = [layers] if isinstance(layers, str) else layers
    if family is None or not (layers is None or isinstance(layers, list | tuple)):
        return None
    if "p6p7_from" in merged:
        return list(layers or RETINANET_LEVELS[family]), 2
    if "fpn" not in merged:
        return None
    if merged["fpn"]:
        return list(layers or _FPN_LEVELS[family]), 1
    return list(layers or _SINGLE_LEVEL[family]), 0


def feature_levels(merged: dict[str, Any]) -> int | None:
    """The number of feature levels the anchors of a detector built with the arguments
    ``merged`` (builder defaults updated by the config) are laid on: the backbone levels
    (``model.return_layers``, else the family's default) plus those an FPN adds; SSD's six;
    YOLOv3's distinct ``model.return_layers``; ``None`` where that is not known before the
    build (a builder of another kind)."""
    head = _head_levels(merged)
    if head is not None:
        return head[1]
    found = _backbone_levels(merged)
    return None if found is None else len(found[0]) + found[1]


def _levels_from(merged: dict[str, Any]) -> str:
    """Where :func:`feature_levels` comes from, for its messages."""
    head = _head_levels(merged)
    if head is not None:
        return head[0]
    found = _backbone_levels(merged)
    if found is None:
        return "unknown"
    layers, extra = found
    added = {1: " + the FPN's max-pool level", 2: " + P6 and P7"}.get(extra, "")
    return f"{merged.get('backbone')} levels {layers} (model.return_layers){added}"


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


def check_yolo_loss(kwargs: dict[str, Any], defaults: dict[str, Any], source: str) -> None:
    """The ``model.loss`` section of a YOLO builder (one that takes ``version`` and
    ``boxes_per_cell``), checked field by field against its version's settings dataclass
    (:data:`~detseg.detection.yolo_loss.LOSS_CONFIGS`: ``YOLOv1LossConfig`` or
    ``YOLOv3LossConfig``) when the config is loaded, as the builder makes it later; the checked
    values replace ``kwargs["loss"]``.

    Args:
        kwargs: the checked arguments (their version already checked by
            :func:`check_yolo_version_args`).
        defaults: the builder's defaults.

    Raises:
        ConfigError: ``'model.loss.box_weight' must be >= 0, got -1``, or an unknown key of the
            version's loss (``model.loss.lambda_coord`` on v3), naming the valid ones.
    """
    if "version" not in defaults or "boxes_per_cell" not in defaults:
        return  # not a YOLO builder
    loss = kwargs.get("loss")
    if not isinstance(loss, dict):
        return  # null (the version's defaults); another type is the annotation's to refuse
    from detseg.config.nested_section_checks import check_section
    from detseg.detection.yolo_loss import LOSS_CONFIGS

    settings = LOSS_CONFIGS.get(str((defaults | kwargs).get("version")))
    if settings is not None:  # an unknown version is refused by check_yolo_version_args
        kwargs["loss"] = check_section(loss, settings, source, "model.loss")


def check_yolo_version_args(kwargs: dict[str, Any], defaults: dict[str, Any], source: str) -> None:
    """The arguments of a YOLO builder (one that takes ``version`` and ``boxes_per_cell``)
    that the other YOLO version owns, checked as the builder does
    (:func:`~detseg.detection.yolo_settings.check_version_settings`) but when the config is
    loaded: ``model.anchors`` or ``model.neck_channels`` or several ``model.return_layers`` on
    v1, ``model.grid_size`` or ``model.boxes_per_cell`` on v3, a v1 grid below 1.

    Args:
        kwargs: the checked arguments.
        defaults: the builder's defaults.

    Raises:
        ConfigError: ``'model.anchors' is a YOLOv3 setting: ...; drop anchors or use
            version='v3'`` (one line naming the key).
    """
    if "version" not in defaults or "boxes_per_cell" not in defaults:
        return  # not a YOLO builder
    from detseg.detection.yolo_settings import DEFAULT_NECK_CHANNELS, check_version_settings

    merged = defaults | kwargs
    try:
        check_version_settings(
            merged["version"],
            merged.get("anchors"),
            merged.get("grid_size"),
            merged.get("boxes_per_cell"),
            merged.get("neck_channels", DEFAULT_NECK_CHANNELS),
            merged.get("return_layers"),
        )
    except ValueError as err:  # the builder's message starts with the argument's name
        message = re.sub(r"^(\w+)", r"'model.\1'", " ".join(str(err).split()))
        raise ConfigError(f"{source}: {message}") from None
