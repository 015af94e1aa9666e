"""Where a run executes: its device and mixed precision, and its processes.

- :mod:`~detseg.engine.runtime.device`: the device of a run, autocast, the gradient scaler,
  batches moved to the device.
- :mod:`~detseg.engine.runtime.distributed`: the ``torchrun`` process group, DDP wrapping,
  SyncBatchNorm, the collectives of the training code (a no-op on one process).
- :mod:`~detseg.engine.runtime.model_api`: the ``losses`` and ``predict`` methods the engine
  calls on a model, as typing protocols (``Detector``, ``Segmenter``, ``DetsegModel``).
"""

from detseg.engine.runtime.device import (
    AmpMode,
    autocast_context,
    batch_on_device,
    build_grad_scaler,
    move_batch,
    resolve_device,
)
from detseg.engine.runtime.distributed import (
    DistInfo,
    LossForward,
    all_gather,
    any_true,
    barrier,
    broadcast_buffers,
    broadcast_from_main,
    convert_sync_batchnorm,
    destroy_distributed,
    gather_to_main,
    init_distributed,
    sum_across,
    wrap_for_training,
)
from detseg.engine.runtime.model_api import Detector, DetsegModel, Segmenter

__all__ = [
    "AmpMode",
    "Detector",
    "DetsegModel",
    "DistInfo",
    "LossForward",
    "Segmenter",
    "all_gather",
    "any_true",
    "autocast_context",
    "barrier",
    "batch_on_device",
    "broadcast_buffers",
    "broadcast_from_main",
    "build_grad_scaler",
    "convert_sync_batchnorm",
    "destroy_distributed",
    "gather_to_main",
    "init_distributed",
    "move_batch",
    "resolve_device",
    "sum_across",
    "wrap_for_training",
]
