"""Where a run executes: its device and mixed precision, and its processes.

- :mod:`~detseg.engine.runtime.device`: the device of a run, mixed precision (``train.amp``,
  autocast, the gradient scaler), the weights' memory format (``train.channels_last``), batches
  moved to the device, GPU utilisation.
- :mod:`~detseg.engine.runtime.compiling`: ``model.compile``, ``torch.compile`` of the
  backbone or of the whole loss computation, in place.
- :mod:`~detseg.engine.runtime.distributed`: the ``torchrun`` process group, DDP wrapping,
  SyncBatchNorm, the collectives of the training code (a no-op on one process).
- :mod:`~detseg.engine.runtime.failing_together`: processes failing together: one process's
  error reaches every process, which all stop with the same line (``PeerLostError`` when one
  is gone).
- :mod:`~detseg.engine.runtime.out_of_memory`: a run that does not fit in memory, one line
  naming the config's sizes to lower.
- :mod:`~detseg.engine.runtime.launcher`: the worker processes of ``tools/train.py --nproc N``
  on one machine (torchrun's environment, one Ctrl-C, one error line).
- :mod:`~detseg.engine.runtime.profile_counts`: what a ``torch.profiler`` record counts (kernel
  launches, host-device syncs, top ops), for the training profiler and the benchmark's.
- :mod:`~detseg.engine.runtime.model_api`: the ``losses`` and ``predict`` methods the engine
  calls on a model, as typing protocols (``Detector``, ``Segmenter``, ``DetsegModel``).
"""

from detseg.choices.compile_modes import CompileMode
from detseg.engine.runtime.compiling import compile_for_training
from detseg.engine.runtime.device import (
    AmpMode,
    autocast_context,
    batch_on_device,
    build_grad_scaler,
    gpu_utilization,
    move_batch,
    resolve_amp,
    resolve_channels_last,
    resolve_device,
    to_channels_last,
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
from detseg.engine.runtime.failing_together import PeerLostError, peer_lost
from detseg.engine.runtime.model_api import Detector, DetsegModel, Segmenter

__all__ = [
    "AmpMode",
    "CompileMode",
    "Detector",
    "DetsegModel",
    "DistInfo",
    "LossForward",
    "PeerLostError",
    "Segmenter",
    "all_gather",
    "any_true",
    "autocast_context",
    "barrier",
    "batch_on_device",
    "broadcast_buffers",
    "broadcast_from_main",
    "build_grad_scaler",
    "compile_for_training",
    "convert_sync_batchnorm",
    "destroy_distributed",
    "gather_to_main",
    "gpu_utilization",
    "init_distributed",
    "peer_lost",
    "move_batch",
    "resolve_amp",
    "resolve_channels_last",
    "resolve_device",
    "sum_across",
    "to_channels_last",
    "wrap_for_training",
]
