"""Training engine: plain functions, and one optional per-step hook.

``from detseg.engine import train``: ``train(cfg, work_dir, resume, *, after_step=None)`` is the
recipe behind ``tools/train.py`` (one process, or one of ``torchrun``'s). The engine's
subpackages, each depending only on those listed before it:

- :mod:`~detseg.engine.runtime`: devices and AMP helpers (``device``); the process group, DDP
  wrapping and collectives (``distributed``); the model methods the engine calls, as typing
  protocols (``model_api``).
- :mod:`~detseg.engine.solver`: optimizers, parameter groups and the LR scaling rule
  (``optim``), LR schedules (``schedules``), the EMA of the weights (``ema``).
- :mod:`~detseg.engine.checkpointing`: atomic ``save_checkpoint``, ``load_checkpoint``,
  ``load_model``, rotation and fallback, training-state save/restore for ``--resume``
  (``checkpoint``); SIGINT / SIGTERM stop a run cleanly (``interrupt``); work-dir checks at
  start-up (``disk_check``).
- :mod:`~detseg.engine.records`: ``metrics.jsonl`` and the progress bar (``metric_log``),
  TensorBoard (``tensorboard_log``), all of a run's records (``run_records``), ``curves.png``
  (``curves``).
- :mod:`~detseg.engine.validation`: COCO mAP of a detector (``detection``) and mIoU of a
  segmenter (``segmentation``), also behind ``tools/eval.py``; the sharded validation with the
  validation loss during training (``sharded``).
- :mod:`~detseg.engine.training`: ``train`` (``trainer``) and the epoch loop (``epoch_loop``,
  ``epoch_training``), the state a run
  holds (``training_run``: :class:`~detseg.engine.training.TrainingRun`), checkpoint and
  evaluation steps (``train_steps``), ``train_one_epoch`` with accumulation and non-finite
  losses (``train_loop``), datasets and loaders (``train_data``), where a run stands
  (``run_state``: epoch, position inside it, best score, early stopping).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from detseg.lazy_names import submodule_on_first_use

__all__ = ["AfterStep", "TrainResult", "train"]

if TYPE_CHECKING:
    from detseg.engine.training import AfterStep, TrainResult, train


def __getattr__(name: str) -> Any:
    """``train`` and its types, and the subpackages, are imported on first use: importing one
    subpackage (e.g. ``detseg.engine.checkpointing``) does not load the whole training recipe,
    while ``detseg.engine.checkpointing.load_model`` works after a bare ``import detseg``."""
    if name in __all__:
        from detseg.engine import training

        return getattr(training, name)
    return submodule_on_first_use(__name__, name)
