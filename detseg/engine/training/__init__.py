"""The training loop and the state of a run.

- :mod:`~detseg.engine.training.trainer`: ``train(cfg, work_dir, resume, *, after_step)``, the
  recipe behind ``tools/train.py``, top to bottom.
- :mod:`~detseg.engine.training.epoch_loop`: the epoch loop (train, evaluate, save, stop early)
  and whether a run has anything left to train.
- :mod:`~detseg.engine.training.epoch_training`: one epoch of the run (``train_one_epoch`` from
  the run's position) and the run's bookkeeping after every step.
- :mod:`~detseg.engine.training.training_run`: :class:`TrainingRun`, everything one run holds
  (config, data, model, optimizer, ...), passed to the step functions.
- :mod:`~detseg.engine.training.train_steps`: ``save_last`` / ``save_best``, the evaluation
  after an epoch, the wrap-up.
- :mod:`~detseg.engine.training.run_start`: a new run's work dir (checked, the previous run's
  logs moved aside) or a resumed one (``last.pt`` loaded).
- :mod:`~detseg.engine.training.resume_at_same_images`: a run resumed with batches or optimizer
  steps of another number of images goes on after the same images (epoch position, schedule).
- :mod:`~detseg.engine.training.finite_checks`: no checkpoint from a model with a NaN or
  infinite weight or buffer.
- :mod:`~detseg.engine.training.train_loop`: ``train_one_epoch`` (accumulation, non-finite
  losses); its settings :class:`StepSettings` and :class:`EpochPosition` (``loop_settings``),
  its reports :class:`StepInfo` and :class:`EpochStats` (``loop_results``), one batch's
  forward and backward into its group (``accumulation``), the optimizer step that closes a
  group (``optimizer_step``), the progress bar and ``train`` records (``step_reporting``).
- :mod:`~detseg.engine.training.nonfinite_losses`: :class:`NonFiniteLossError` (stop) and
  :class:`BufferSnapshot` (a dropped step puts the buffers back); the warning of an epoch
  with most of its steps skipped, and the summary's share of skipped steps.
- :mod:`~detseg.engine.training.data_wait`: :class:`DataWaitClock`, the share of the loop's
  time spent waiting for data.
- :mod:`~detseg.engine.training.step_profiler`: :class:`StepProfiler`, ``train.profile_steps``
  steps of the run under ``torch.profiler`` (``tools/train.py --profile N``) into
  ``WORK_DIR/profile/``.
- :mod:`~detseg.engine.training.train_data`: datasets and loaders of the train and val splits.
- :mod:`~detseg.engine.training.model_setup`: the run's model on its device, and its
  :class:`DeviceSettings` (``train.amp``, ``train.channels_last``, ``model.compile`` resolved).
- :mod:`~detseg.engine.training.run_state`: :class:`RunState`, where a run stands (epoch,
  position inside it, best score, early stopping), saved in every checkpoint.
"""

from detseg.engine.training.epoch_training import AfterStepError
from detseg.engine.training.loop_results import EpochStats, StepInfo
from detseg.engine.training.loop_settings import EpochPosition, StepSettings
from detseg.engine.training.model_setup import DeviceSettings, data_task, device_settings
from detseg.engine.training.nonfinite_losses import NonFiniteLossError
from detseg.engine.training.run_state import SCORE_KEY, RunState, score_key
from detseg.engine.training.train_data import TrainData, build_data
from detseg.engine.training.train_loop import train_one_epoch
from detseg.engine.training.train_steps import evaluate_epoch, finish_run, save_best, save_last
from detseg.engine.training.trainer import TrainResult, train
from detseg.engine.training.training_run import AfterStep, TrainingRun

__all__ = [
    "data_task",
    "SCORE_KEY",
    "AfterStep",
    "AfterStepError",
    "DeviceSettings",
    "EpochPosition",
    "EpochStats",
    "NonFiniteLossError",
    "RunState",
    "StepInfo",
    "StepSettings",
    "TrainData",
    "TrainResult",
    "TrainingRun",
    "build_data",
    "device_settings",
    "evaluate_epoch",
    "finish_run",
    "save_best",
    "save_last",
    "score_key",
    "train",
    "train_one_epoch",
]
