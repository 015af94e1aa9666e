"""Everything one training run holds: :class:`TrainingRun`, passed to the step functions.

:func:`~detseg.engine.training.trainer.train` builds it once (config, data, model, optimizer,
schedule, gradient scaler, EMA, stop signals, records, device settings), then the epoch loop of
:mod:`~detseg.engine.training.epoch_loop` (and :mod:`~detseg.engine.training.epoch_training`)
and the checkpoint and evaluation steps of :mod:`~detseg.engine.training.train_steps` read and
update it. All import it from here, so none imports the other back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from detseg.config import Config
from detseg.engine.checkpointing.interrupt import StopSignals
from detseg.engine.records.run_records import RunRecords
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.solver.ema import ModelEMA
from detseg.engine.training.model_setup import DeviceSettings
from detseg.engine.training.run_state import RunState, score_key, score_name
from detseg.engine.training.step_profiler import StepProfiler
from detseg.engine.training.train_data import TrainData
from detseg.evaluation.voc_coco import resolve_metric

#: Called after every optimizer step with the run's :class:`RunState` (``iteration`` counts the
#: steps done), once the step's stop check and periodic checkpoint are over.
AfterStep = Callable[[RunState], None]


def _zero_totals() -> dict[str, int]:
    return {
        "iterations": 0,
        "skipped_images": 0,
        "left_out_images": 0,
        "dropped_boxes": 0,
        "val_skipped_images": 0,
    }


@dataclass
class TrainingRun:
    """One training run: what it trains, with what, where it stands, where it writes.

    Attributes:
        cfg: the resolved config.
        work_dir: the run's folder.
        dist: this process's place in the process group (one process: the defaults).
        device: where the model lives.
        task: ``"detection"`` or ``"segmentation"``.
        data: datasets and loaders of the train and val splits.
        classes: class names (the dataset's, without background).
        model: the model being trained (not DDP-wrapped).
        optimizer: the optimizer, with the scaled learning rate.
        scheduler: the per-step learning-rate schedule.
        scaler: the gradient scaler (enabled for fp16 AMP only).
        ema: the weights' moving average, or ``None`` when ``train.ema`` is off.
        stop: SIGINT / SIGTERM turned into a stop request.
        records: ``metrics.jsonl``, TensorBoard and per-rank records; the epoch loop runs
            inside ``with run.records``.
        after_step: a hook called after every optimizer step, or ``None``.
        settings: ``train.amp``, ``train.channels_last`` and ``model.compile`` resolved for
            ``device`` (training and validation use ``settings.amp``).
        state: epoch, position inside it, iteration, best score (saved in ``last.pt``).
        train_model: the module whose ``forward`` returns the losses (the DDP wrapper of a
            distributed run); set once the run starts.
        totals: ``iterations``, ``skipped_images``, ``left_out_images`` (readable images left
            out with a step another process's unreadable batch dropped) and ``dropped_boxes``
            (the train split's) and ``val_skipped_images`` (the model's validations') of this
            invocation; an unreadable image counts each time it is read (every epoch, every
            validation).
        profiler: the profiler of ``train.profile_steps`` steps (rank 0), or ``None``.
    """

    cfg: Config
    work_dir: Path
    dist: DistInfo
    device: torch.device
    task: str
    data: TrainData
    classes: list[str]
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    ema: ModelEMA | None
    stop: StopSignals
    records: RunRecords
    after_step: AfterStep | None = None
    settings: DeviceSettings = field(default_factory=DeviceSettings)
    state: RunState = field(default_factory=RunState)
    train_model: nn.Module | None = None
    totals: dict[str, int] = field(default_factory=_zero_totals)
    profiler: StepProfiler | None = None

    @property
    def metric(self) -> str:
        """The detection metric of validation: ``eval.metric`` resolved for ``data.format``
        (``coco``, ``voc07`` or ``voc12``; ``auto`` is ``voc07`` for VOC data)."""
        return resolve_metric(self.cfg.eval.metric, self.cfg.data.format)

    @property
    def score_key(self) -> str:
        """The validation number that picks ``best.pt`` (``AP``, ``voc_mAP`` or ``mIoU``)."""
        return score_key(self.task, self.metric)

    @property
    def score_by(self) -> str:
        """What picks ``best.pt``, recorded in the checkpoints (:func:`score_name`)."""
        return score_name(self.task, self.metric)
