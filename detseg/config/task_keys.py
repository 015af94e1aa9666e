"""The ``eval`` keys that only a segmenter reads, set on a detector's config.

``eval.tta``, ``eval.tta_scales`` and ``eval.crf`` shape a segmenter's label maps in
``tools/eval.py`` and ``tools/infer.py`` (:mod:`detseg.segmentation.inference`); a detector
(every model but those of ``detseg.segmentation.SEGMENTATION_MODELS``) runs one plain forward
pass and never reads them. Such keys set away from their defaults are named in one warning
(:func:`warn_ignored_segmentation_keys`) instead of being dropped in silence; the config still
loads, as the checkpoints of such configs must.
"""

from __future__ import annotations

import dataclasses
import logging

from detseg.config.schema import CRFConfig, EvalConfig

logger = logging.getLogger(__name__)

__all__ = ["segmentation_keys_set", "warn_ignored_segmentation_keys"]

# (source, model, keys) already reported: a checkpoint's config is read more than once a run.
_reported: set[tuple[str, str, tuple[str, ...]]] = set()


def segmentation_keys_set(eval_cfg: EvalConfig) -> list[str]:
    """``key=value`` of the segmentation-only ``eval`` keys that differ from their defaults
    (``eval.tta``, ``eval.tta_scales``, each ``eval.crf.<key>``), in the schema's order."""
    default = EvalConfig()
    keys = [
        f"eval.{name}={getattr(eval_cfg, name)}"
        for name in ("tta", "tta_scales")
        if getattr(eval_cfg, name) != getattr(default, name)
    ]
    for crf_field in dataclasses.fields(CRFConfig):
        value = getattr(eval_cfg.crf, crf_field.name)
        if value != getattr(default.crf, crf_field.name):
            keys.append(f"eval.crf.{crf_field.name}={value}")
    return keys


def warn_ignored_segmentation_keys(eval_cfg: EvalConfig, model_name: str, source: str) -> None:
    """One warning (once per ``source``, model and keys) naming the segmentation-only ``eval``
    keys of :func:`segmentation_keys_set` when ``model_name`` is not a segmenter.

    Args:
        eval_cfg: the validated ``eval`` section.
        model_name: ``model.name`` (a key of ``detseg.models.MODELS``).
        source: the config file or checkpoint, named in the warning.
    """
    try:
        from detseg.segmentation import SEGMENTATION_MODELS
    except ImportError:  # models not importable (partial install): nothing to tell apart
        return
    if model_name in SEGMENTATION_MODELS:
        return
    keys = segmentation_keys_set(eval_cfg)
    if not keys or (source, model_name, tuple(keys)) in _reported:
        return
    _reported.add((source, model_name, tuple(keys)))
    logger.warning(
        "%s: %s only apply to semantic segmentation models (evaluation and inference); "
        "%s is a detector and ignores them: remove them from the config, or reset them with "
        "--set %s",
        source,
        ", ".join(keys),
        model_name,
        " ".join(_default_setting(key) for key in keys),
    )


def _default_setting(key: str) -> str:
    """``key=value`` of :func:`segmentation_keys_set` as the ``--set`` item of its default."""
    path = key.split("=", 1)[0]
    value: object = EvalConfig()
    for part in path.split(".")[1:]:
        value = getattr(value, part)
    return f"{path}={value}".replace(" ", "")
