"""The named options of a training run's ``train`` section (no torch import).

Each is the type of its config key (:class:`detseg.config.schema.TrainConfig`) and of the
argument of the function that implements it.
"""

from __future__ import annotations

from typing import Literal

#: ``train.optimizer``: momentum SGD or AdamW (:func:`detseg.engine.solver.optim.build_optimizer`).
OptimizerName = Literal["sgd", "adamw"]
#: ``train.schedule``: the learning-rate schedule (:mod:`detseg.engine.solver.schedules`).
ScheduleName = Literal["multistep", "cosine", "poly", "constant"]
#: ``train.lr_scaling``: how ``train.lr`` follows the batch size
#: (:func:`detseg.engine.solver.optim.scaled_lr`).
LrScaling = Literal["none", "linear", "sqrt"]
#: ``train.on_nonfinite``: what a NaN or infinite loss does: stop the run or skip the step
#: (:mod:`detseg.engine.training.train_loop`).
NonFiniteAction = Literal["stop", "skip"]
