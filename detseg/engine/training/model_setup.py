"""The model of a training run, on its device, and the device settings it trains with.

:func:`device_settings` resolves ``train.amp``, ``train.channels_last`` and ``model.compile``
for the run's device once (``auto`` is bf16 or fp16 and channels-last on CUDA, float32 and
NCHW elsewhere); :func:`build_run_model` builds the model for the data's classes, loads
``model.init_from``, moves it to the device, converts its weights to channels-last and its
BatchNorm to SyncBatchNorm (``train.sync_bn``). Compilation comes last, once the optimizer,
the EMA copy and the DDP wrapper exist (:func:`~detseg.engine.runtime.compiling.
compile_for_training`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from detseg.backbones.weights import weight_files_not_read
from detseg.choices.compile_modes import CompileMode
from detseg.config import Config, ConfigError
from detseg.convert.init_weights import load_init_weights
from detseg.data.registry import SEG_DATASETS
from detseg.engine.checkpointing import newest_readable
from detseg.engine.checkpointing.resume_state import TRAIN_SETTINGS, ResumeError
from detseg.engine.runtime.device import (
    AmpMode,
    resolve_amp,
    resolve_channels_last,
    to_channels_last,
)
from detseg.engine.runtime.distributed import DistInfo, convert_sync_batchnorm
from detseg.engine.training.run_state import score_name
from detseg.evaluation.voc_coco import resolve_metric
from detseg.models import build_model
from detseg.named_settings import literal
from detseg.shell_words import shell_word
from detseg.torch_files import state_mismatch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceSettings:
    """How a run computes on its device: the config's device keys, resolved.

    Attributes:
        amp: ``"none"`` (float32), ``"bf16"`` or ``"fp16"`` autocast (``train.amp``).
        channels_last: the weights are in ``torch.channels_last`` format
            (``train.channels_last``).
        compile: ``"none"``, ``"backbone"`` or ``"all"`` (``model.compile``).
    """

    amp: AmpMode = "none"
    channels_last: bool = False
    compile: CompileMode = "none"

    def record(self) -> dict[str, Any]:
        """``{"amp", "channels_last", "compile"}`` for the run's ``setup`` record."""
        return {"amp": self.amp, "channels_last": self.channels_last, "compile": self.compile}


def device_settings(cfg: Config, device: torch.device) -> DeviceSettings:
    """``train.amp``, ``train.channels_last`` and ``model.compile`` resolved for ``device``."""
    return DeviceSettings(
        amp=resolve_amp(cfg.train.amp, device),
        channels_last=resolve_channels_last(cfg.train.channels_last, device),
        compile=cfg.model.compile,
    )


def build_run_model(
    cfg: Config,
    num_classes: int,
    task: str,
    device: torch.device,
    dist: DistInfo,
    *,
    settings: DeviceSettings,
    resume: bool = False,
    classes: Sequence[str] | None = None,
) -> nn.Module:
    """The model of ``cfg`` for ``num_classes`` classes, ready for its optimizer.

    Args:
        cfg: the run's config.
        num_classes: foreground classes, from the dataset.
        task: the data's task (``"detection"`` or ``"segmentation"``); the model must solve it.
        device: where the model trains.
        dist: this process's place in the run (rank 0 logs the ``init_from`` report).
        settings: the resolved device settings (``channels_last``).
        resume: a resumed run has its own weights: ``model.init_from`` is not loaded.
        classes: the data's class names, in label order; a resumed run's ``last.pt`` must have
            been trained on the same (:func:`check_resume_weights`).

    Raises:
        ConfigError: the model does not fit the data's task, or ``train.sync_bn`` on the CPU
            with several processes.
        ResumeError: (a ``CheckpointError``) ``resume`` and the weights or classes in the work
            dir's ``last.pt`` do not fit the model and data (see :func:`check_resume_weights`).
    """
    # a resumed run loads every tensor from last.pt: its backbone weights file is not read
    with weight_files_not_read() if resume else contextlib.nullcontext():
        model = build_model(cfg.model.builder_dict(), num_classes=num_classes)
    check_task(model, task, cfg)
    if resume and cfg.work_dir:
        last, train = Path(cfg.work_dir) / "last.pt", dataclasses.asdict(cfg.train)
        score_by = score_name(task, resolve_metric(cfg.eval.metric, cfg.data.format))
        check_resume_weights(model, last, train, classes=classes, score_by=score_by)
    if cfg.model.init_from is not None and not resume:
        report = load_init_weights(model, cfg.model.init_from, classes=classes, log=dist.is_main)
        for line in report.lines() if dist.is_main else []:
            logger.info("%s", line)
        for warning in report.warnings() if dist.is_main else []:
            logger.warning("%s", warning)
    model = model.to(device)
    if settings.channels_last:
        to_channels_last(model)
    return convert_sync_batchnorm(model, dist, device, cfg.train.sync_bn)


def check_resume_weights(
    model: nn.Module,
    last: Path,
    train: dict[str, Any] | None = None,
    classes: Sequence[str] | None = None,
    score_by: str | None = None,
) -> None:
    """The weights of ``last`` (a ``last.pt`` to resume) must fit ``model``, the model of the
    config a resumed run got: a different model or other classes is one line, not torch's
    page of tensor names. With ``train`` (the config's ``train`` section as a dict) its
    optimizer keys must be the run's too (:data:`OPTIMIZER_KEYS`: the optimizer state would
    not load); with ``classes`` (the data's names, in label order) the names ``last`` was
    trained on must be the same (as many classes under other names or in another order fit
    the weights, but the resumed run would label them wrongly); with ``score_by`` (what picks
    the run's ``best.pt``, :func:`~detseg.engine.training.run_state.score_name`) the checkpoint's
    ``meta["score_by"]`` must be the same (another ``eval.metric`` would compare its scores with
    the recorded best score; checkpoints without it are not checked). Checked before the work dir's
    ``config.yaml`` is rewritten, so the message can point to it; the checkpoint is only read.
    The file checked is the one the resume loads: ``last`` or, when it is unreadable, its
    newest readable older copy (``last.1.pt`` ...; the resume itself says why it falls back);
    the messages name it.

    Raises:
        ResumeError: (a ``CheckpointError``) naming ``last``, the mismatch
            (:func:`~detseg.torch_files.state_mismatch`, the classes or the optimizer keys), the
            config to resume with, and another ``{work_dir}`` as the caller gave it.
    """
    found = newest_readable(last)
    if found is None:
        return
    saved, last = found
    weights = saved["model"]
    mismatch = (
        state_mismatch(model.state_dict(), weights, ())
        if isinstance(weights, dict)
        else f"'model' is a {type(weights).__name__}, not a state dict"
    )
    if mismatch is None:
        _check_resume_classes(saved, last, classes)
        _check_resume_score(saved, last, score_by)
        changed = _changed_optimizer_keys(saved, train or {})
        if changed:
            raise ResumeError(
                f"cannot resume from {literal(last)}: its optimizer state was written with "
                f"{literal(changed)}; resume with the config the run was started with, "
                f"{_resume_example(last)}",
                work_dir=TRAIN_SETTINGS["work_dir"],
            )
        return
    raise ResumeError(
        f"cannot resume from {literal(last)}: its weights do not fit the configured model "
        f"({literal(mismatch)}); the config differs from the run's (model or classes): resume "
        f"with the run's own config, {_resume_example(last)}",
        work_dir=TRAIN_SETTINGS["work_dir"],
    )


def _resume_example(last: Path) -> str:
    """The end of a refused resume of ``last``: the command that resumes the run with its own
    config, or a new run in another work dir, a ``{work_dir}`` field named as the caller gave it
    (``work_dir`` to :func:`detseg.engine.train`, ``--work-dir`` to ``tools/train.py``:
    :class:`~detseg.engine.checkpointing.resume_state.ResumeError`)."""
    config, folder = shell_word(last.parent / "config.yaml"), shell_word(last.parent)
    return (
        f"e.g. detseg-train {literal(config)} --work-dir {literal(folder)} --resume "
        "(tools/train.py), or start a new run in another {work_dir}"
    )


def _check_resume_classes(saved: dict[str, Any], last: Path, classes: Sequence[str] | None) -> None:
    """The class names of ``saved`` (the checkpoint ``last``) must be ``classes`` (when given).

    Raises:
        ResumeError: naming ``last``, both lists and the config to resume with.
    """
    if classes is None or list(saved["classes"]) == list(classes):
        return
    raise ResumeError(
        f"cannot resume from {literal(last)}: it was trained on the classes "
        f"{literal(list(saved['classes']))}, the data gives {literal(list(classes))} (another "
        f"data.root or data.classes?): resume with the run's data, {_resume_example(last)}",
        work_dir=TRAIN_SETTINGS["work_dir"],
    )


def _check_resume_score(saved: dict[str, Any], last: Path, score_by: str | None) -> None:
    """What picks ``best.pt`` in ``saved`` (the checkpoint ``last``: ``meta["score_by"]``) must
    be ``score_by`` (when both are known).

    Raises:
        ResumeError: naming ``last``, both scores and the config to resume with.
    """
    saved_by = saved["meta"].get("score_by")
    if score_by is None or not isinstance(saved_by, str) or saved_by == score_by:
        return
    raise ResumeError(
        f"cannot resume from {literal(last)}: the run picks best.pt by {literal(saved_by)}, the "
        f"config by {literal(score_by)} (another eval.metric?), and its best score would be "
        f"compared with the other number: resume with the run's eval.metric, "
        f"{_resume_example(last)}",
        work_dir=TRAIN_SETTINGS["work_dir"],
    )


#: ``train`` keys that shape the optimizer state of ``last.pt`` (its kind, its parameter
#: groups): a resumed run cannot change them.
OPTIMIZER_KEYS = ("optimizer", "no_decay_norm_bias")


def _changed_optimizer_keys(saved: dict[str, Any], train: dict[str, Any]) -> str:
    """The :data:`OPTIMIZER_KEYS` whose value in the config of ``saved`` (a checkpoint) differs
    from ``train``'s, as ``"train.optimizer=sgd (the config gives adamw)"``; ``""`` when none
    does (or the checkpoint does not record them)."""
    saved_train = saved["config"].get("train")
    if not isinstance(saved_train, dict):
        return ""
    return ", ".join(
        f"train.{key}={saved_train[key]} (the config gives {train[key]})"
        for key in OPTIMIZER_KEYS
        if key in saved_train and key in train and saved_train[key] != train[key]
    )


def data_task(cfg: Config) -> str:
    """``"segmentation"`` for a segmentation ``data.format``, else ``"detection"``."""
    return "segmentation" if cfg.data.format in SEG_DATASETS else "detection"


def check_model_task(model: Any, cfg: Config, source: str = "", task: str | None = None) -> None:
    """The model (a detector or a segmenter) must solve the task of ``cfg.data.format``;
    checked before any data is read (training, and the evaluation of a checkpoint).

    Raises:
        ConfigError: one line, prefixed with ``source`` (e.g. the checkpoint) when given.
    """
    model_task, task = getattr(model, "task", "detection"), task or data_task(cfg)
    if model_task != task:
        prefix = f"{source}: " if source else ""
        raise ConfigError(
            f"{prefix}model.name {cfg.model.name!r} is a {model_task} model but data.format "
            f"{cfg.data.format!r} is a {task} dataset; segmentation formats are "
            f"{', '.join(SEG_DATASETS)}; give data of the model's task"
        )


def check_task(model: Any, task: str, cfg: Config) -> None:
    """The model must solve the task of the data (a detector on masks cannot train, a model
    with a mask head needs instance masks)."""
    check_model_task(model, cfg, task=task)
    if getattr(model, "has_masks", False) and not cfg.data.options.get("load_masks"):
        raise ConfigError(
            f"model {cfg.model.name} needs instance masks: data.format coco with "
            "data.load_masks: true"
        )
