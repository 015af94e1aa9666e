"""How the weights move: optimizers, learning-rate schedules, the EMA of the weights.

- :mod:`~detseg.engine.solver.optim`: ``build_optimizer`` (SGD / AdamW, fused where possible),
  no-decay parameter groups, the learning-rate scaling rule ``scaled_lr``.
- :mod:`~detseg.engine.solver.schedules`: per-step schedules with warm-up (multistep, cosine,
  poly, constant).
- :mod:`~detseg.engine.solver.ema`: :class:`ModelEMA`, the moving average of the weights.
"""

from detseg.engine.solver.ema import ModelEMA
from detseg.engine.solver.optim import (
    FUSED_DEVICES,
    FUSED_DTYPES,
    build_optimizer,
    can_fuse,
    parameter_groups,
    scaled_lr,
)
from detseg.engine.solver.schedules import (
    ScheduleName,
    WarmupSchedule,
    build_scheduler,
    scheduler_from_config,
)

__all__ = [
    "FUSED_DEVICES",
    "FUSED_DTYPES",
    "ModelEMA",
    "ScheduleName",
    "WarmupSchedule",
    "build_optimizer",
    "build_scheduler",
    "can_fuse",
    "parameter_groups",
    "scaled_lr",
    "scheduler_from_config",
]
