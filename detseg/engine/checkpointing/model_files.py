"""A model and its checkpoint: rebuild the model a checkpoint names, or write the checkpoint
dict of a model.

Whoever loads a checkpoint rebuilds the model by name from the config's ``model`` section
(``detseg.models.build_model``) and loads the weights into it (:func:`load_model`,
:func:`model_from_checkpoint`); no backbone weights file is read, as the checkpoint holds
every tensor. :func:`model_checkpoint` gives the same dict as ``best.pt`` for a model trained
in your own code, checking that the config's model section rebuilds it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from detseg.config import Config, builder_section, config_from_dict
from detseg.engine.checkpointing.checkpoint import load_checkpoint
from detseg.torch_files import CheckpointError, load_state_error, state_mismatch


def load_model(
    path: str | Path, device: str | torch.device, model_cfg: dict[str, Any] | None = None
) -> tuple[nn.Module, dict[str, Any], list[str]]:
    """Rebuild the model stored in a checkpoint file, in eval mode on ``device``.

    Args:
        path: checkpoint file.
        device: where to put the model.
        model_cfg: optional model section replacing the stored one (e.g. a lower
            ``roi_heads.score_thresh`` for evaluation); the weights must still fit.

    Returns:
        ``(model, config_dict, classes)``.
    """
    state = load_checkpoint(path)
    return model_from_checkpoint(state, device, model_cfg, source=str(path))


def model_from_checkpoint(
    state: dict[str, Any],
    device: str | torch.device,
    model_cfg: dict[str, Any] | None = None,
    source: str = "checkpoint",
) -> tuple[nn.Module, dict[str, Any], list[str]]:
    """:func:`load_model` for an already loaded checkpoint dict.

    The model section's run keys (``init_from``, ``compile``) are left out: the model is
    built as configured and runs uncompiled. No backbone weights file is read
    (:func:`~detseg.backbones.weights.weight_files_not_read`): the backbone is built as for
    its ``backbone_weights`` (``imagenet`` or a file: the BatchNorm and trainable stages of a
    pretrained backbone) and every tensor comes from the checkpoint, so one trained from
    ImageNet weights or from a weights file loads where that file is not. Weights saved from a
    model wrapped in ``torch.compile`` or DDP load without the wrapper's name prefix
    (``_orig_mod.``, ``module.``).
    """
    from detseg.backbones.weights import weight_files_not_read
    from detseg.convert.torchvision_archs import strip_wrapper_prefixes
    from detseg.models import build_model

    config, classes = state["config"], list(state["classes"])
    if model_cfg is None and not isinstance(config.get("model"), dict):
        raise CheckpointError(
            f"{source}: its config has no model section to rebuild the model from; give a "
            "best.pt / last.pt written by detseg-train (tools/train.py)"
        )
    section = builder_section(config["model"] if model_cfg is None else model_cfg)
    try:
        with weight_files_not_read():  # every tensor comes from the checkpoint below
            model = build_model(section, len(classes))
    except ValueError as err:  # an unknown model name, an option its builder does not take
        raise CheckpointError(f"{source}: {err}") from err
    weights = state["model"]
    if isinstance(weights, dict):  # saved from a torch.compile / DDP wrapped model
        weights = strip_wrapper_prefixes(weights)
    try:
        model.load_state_dict(weights)
    except (RuntimeError, TypeError) as err:  # a summary, not a line per tensor
        mismatch = isinstance(weights, dict) and state_mismatch(model.state_dict(), weights, ())
        reason = mismatch or load_state_error(err)
        raise CheckpointError(
            f"{source}: weights do not fit the configured model ({reason})"
        ) from err
    model.to(device).eval()
    return model, config, classes


def model_checkpoint(
    model: nn.Module,
    config: Config | dict[str, Any],
    classes: Sequence[str],
    *,
    cat_ids: Sequence[int] | None = None,
    metrics: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The checkpoint dict of a model trained in your own code, as training writes ``best.pt``.

    Write it with :func:`save_checkpoint`; ``detseg.load``, :func:`load_model`,
    ``tools/eval.py``, ``tools/infer.py`` and ``tools/export.py`` then take the file. They
    rebuild the model by name (``build_model(config["model"], len(classes))``) and load the
    weights into it, so the config's model section must build a model with the same tensors
    as ``model``; this is checked here, by building that model once.

    Args:
        model: the trained model (its ``state_dict`` is stored), also wrapped in
            ``torch.compile`` or ``DistributedDataParallel``: the wrapper's name prefix
            (``_orig_mod.``, ``module.``) is not stored, as the tools load into the bare model.
        config: a :class:`~detseg.config.Config` or a config dict (validated and completed
            with defaults, as ``config_from_dict`` does); its ``model`` section names a key
            of ``detseg.models.MODELS``.
        classes: the ``K`` foreground class names (label ``k`` is ``classes[k - 1]``).
        cat_ids: the dataset's category id of each label (COCO ids), if not ``1..K``.
        metrics: stored as ``meta["metrics"]``.

    Returns:
        ``{"model", "config", "classes", "meta"}``.

    Raises:
        CheckpointError: ``classes`` is empty, ``cat_ids`` has another length, or the model
            section does not rebuild ``model`` (a model assembled from parts in your own code
            needs a builder in ``detseg.models.MODELS`` first).
        ConfigError: the config dict is invalid (e.g. an unknown ``model.name``).
    """
    import detseg
    from detseg.backbones.weights import weight_files_not_read
    from detseg.convert.torchvision_archs import strip_wrapper_prefixes
    from detseg.models import MODELS, build_model

    names = [str(name) for name in classes]
    if not names:
        raise CheckpointError("model_checkpoint: classes is empty; give the K class names")
    if cat_ids is not None and len(cat_ids) != len(names):
        raise CheckpointError(
            f"model_checkpoint: {len(cat_ids)} cat_ids for {len(names)} classes; give one "
            "category id per class"
        )
    resolved = config if isinstance(config, Config) else config_from_dict(config, "config")
    section = resolved.model.to_dict()
    if section["name"] not in MODELS:
        raise CheckpointError(
            f"model_checkpoint: model.name {section['name']!r} is not a key of "
            "detseg.models.MODELS, which the tools rebuild checkpoints from"
        )
    with weight_files_not_read():  # its tensor shapes alone are compared
        rebuilt = build_model(builder_section(section), len(names))
    weights = strip_wrapper_prefixes(model.state_dict())  # torch.compile / DDP wrapped models
    mismatch = state_mismatch(rebuilt.state_dict(), weights, ())
    if mismatch:
        raise CheckpointError(
            f"model_checkpoint: the config's model section ({section['name']!r}, "
            f"{len(names)} classes) does not rebuild this model ({mismatch}); a model built "
            "from parts in your own code needs its builder in detseg.models.MODELS, named "
            "in model.name"
        )
    meta = {
        "detseg_version": detseg.__version__,
        "metrics": dict(metrics or {}),
        "time": time.time(),
        "cat_ids": [int(i) for i in cat_ids] if cat_ids is not None else None,
    }
    return {"model": weights, "config": resolved.to_dict(), "classes": names, "meta": meta}
