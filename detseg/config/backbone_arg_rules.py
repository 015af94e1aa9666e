"""Rules on builder arguments whose valid values depend on the backbone a config names:
``model.output_stride`` (the strides the backbone's deep level can have), the upper bound of
``model.trainable_layers`` (the backbone's stage count) and the number of
``model.decoder_channels`` of a U-Net on a backbone (one width per up block of its pyramid).

The builders refuse such values too, but only when the model is built, after the data has
loaded, and with a message that does not name the config key. Checked here when the config
is loaded, the error names the key, and the ``--set`` item or file that gave it
(:mod:`detseg.config.error_blame`). Applied by :mod:`detseg.config.model_section` after
:func:`detseg.config.model_arg_rules.check_backbone_args` has checked the backbone's name.
"""

from __future__ import annotations

from typing import Any

from detseg.config.schema import ConfigError

#: How many stages of each backbone family ``trainable_layers`` counts: ``0`` freezes every
#: stage, the count trains every stage (ResNet: the stem and layer1..4; VGG16: its five conv
#: blocks; MobileNet: the stem and the five stride stages). The backbones check the same
#: range when built (``detseg.backbones.base.check_trainable_layers``); a test keeps both equal.
TRAINABLE_STAGES: dict[str, int] = {"resnet": 5, "vgg": 5, "mobilenet": 6}


def check_backbone_stage_args(
    kwargs: dict[str, Any], defaults: dict[str, Any], source: str
) -> None:
    """``model.output_stride``, ``model.trainable_layers`` and a U-Net's
    ``model.decoder_channels`` against the backbone the arguments name (``model.backbone``,
    else the builder's default), as the builder would check them once the data has loaded.

    Args:
        kwargs: the checked arguments (types and ``model.backbone`` already checked).
        defaults: the builder's defaults.
        source: the file named in errors.

    Raises:
        ConfigError: one line naming the key, e.g. ``'model.output_stride' = 8: backbone
            'resnet18' reaches only output stride 32 ...``.
    """
    merged = defaults | kwargs
    backbone = merged.get("backbone")
    if not isinstance(backbone, str):
        backbone = None  # no backbone argument, or a module given through the Python API
    trainable = kwargs.get("trainable_layers")
    if isinstance(trainable, int) and not isinstance(trainable, bool):
        _check_trainable_layers(trainable, backbone, source)
    if backbone is None:
        return
    if "output_stride" in defaults or "upsampling" in defaults:  # a segmenter on a backbone
        _check_plain_backbone(backbone, source)
    if "output_stride" in defaults:
        _check_output_stride(merged["output_stride"], backbone, "output_stride" in kwargs, source)
    if "decoder_channels" in defaults and "upsampling" in defaults:
        _check_unet_decoder_widths(kwargs.get("decoder_channels"), source)


def _family(backbone: str | None) -> str | None:
    """The family of a backbone name (``resnet50_fpn`` is a ResNet), or ``None``."""
    if backbone is None:
        return None
    return next((family for family in TRAINABLE_STAGES if backbone.startswith(family)), None)


def _check_trainable_layers(value: int, backbone: str | None, source: str) -> None:
    """``model.trainable_layers`` is in ``0..stages`` of ``backbone``'s family (``>= 0`` where
    the family is not known here)."""
    family = _family(backbone)
    if family is None:
        if value < 0:
            raise ConfigError(
                f"{source}: 'model.trainable_layers' must be >= 0 (0 freezes every backbone "
                f"stage), got {value}"
            )
        return
    stages = TRAINABLE_STAGES[family]
    if not 0 <= value <= stages:
        raise ConfigError(
            f"{source}: 'model.trainable_layers' must be in 0..{stages} for backbone "
            f"'{backbone}' (0 freezes every stage, {stages} trains every stage), got {value}"
        )


def _check_plain_backbone(backbone: str, source: str) -> None:
    """The ``model.backbone`` of a segmenter is a plain one: FCN, DeepLab and LR-ASPP read the
    backbone's own levels (``c1`` .. ``c5``, dilated for an ``output_stride``) and a U-Net's
    decoder has one up block per level of them (``model.decoder_channels``), where an ``_fpn``
    backbone gives its pyramid of other levels instead."""
    from detseg.backbones import PLAIN_BACKBONES

    if backbone in PLAIN_BACKBONES or backbone not in _fpn_names():
        return
    plain = backbone.removesuffix("_fpn")
    raise ConfigError(
        f"{source}: 'model.backbone' = {backbone!r}: this segmenter reads a plain backbone's "
        f"levels c1..c5 (the plain backbones: {', '.join(PLAIN_BACKBONES)}), which an _fpn "
        f"backbone replaces by its pyramid; set model.backbone to {plain!r}"
    )


def _fpn_names() -> set[str]:
    """The names of ``detseg.backbones.BACKBONES`` that put an FPN on a plain backbone."""
    from detseg.backbones import BACKBONES, PLAIN_BACKBONES

    return set(BACKBONES) - set(PLAIN_BACKBONES)


def _check_output_stride(value: Any, backbone: str, given: bool, source: str) -> None:
    """``model.output_stride`` is a stride the deep level of a segmenter's ``backbone`` can
    have (:func:`detseg.segmentation.backbone_levels.output_strides`)."""
    from detseg.segmentation.backbone_levels import OUTPUT_STRIDES_TEXT, output_strides

    try:
        strides = output_strides(backbone)
    except ValueError as err:  # a backbone of no segmentation family
        raise ConfigError(f"{source}: 'model.backbone' = {backbone!r}: {err}") from None
    if value in strides:
        return
    reach = " or ".join(map(str, strides))
    default = "" if given else " (the model's default)"
    raise ConfigError(
        f"{source}: 'model.output_stride' = {value!r}{default}: backbone '{backbone}' reaches "
        f"only output stride {reach} ({OUTPUT_STRIDES_TEXT}); set model.output_stride to "
        f"{reach}, or pick a model.backbone that takes {value!r}"
    )


def _check_unet_decoder_widths(widths: Any, source: str) -> None:
    """``model.decoder_channels`` of a U-Net on a backbone pyramid (``unet_backbone``) has
    one width per up block: the decoder climbs from the deepest level to the finest of
    :data:`~detseg.segmentation.backbone_levels.UNET_LEVELS`. Each width's own bound is
    :data:`~detseg.config.model_arg_rules.ITEM_BOUNDS`'."""
    if not isinstance(widths, list | tuple):
        return  # null: the skip levels' widths
    from detseg.segmentation.backbone_levels import UNET_LEVELS

    skips = UNET_LEVELS[-2::-1]  # the levels each up block joins, coarse to fine
    if len(widths) != len(skips):
        raise ConfigError(
            f"{source}: 'model.decoder_channels' must be a list of {len(skips)} whole numbers "
            f">= 1, one width per up block of the U-Net decoder (to levels "
            f"{', '.join(skips)}, coarse to fine), got {list(widths)!r}; or remove it for the "
            "widths of those levels"
        )
