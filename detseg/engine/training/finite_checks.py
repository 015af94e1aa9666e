"""No checkpoint from a broken model: every save first checks that the model's weights and
buffers (and its EMA copy's) are finite.

A NaN or infinite tensor stops the run with :class:`NonFiniteStateError`, one line naming the
tensor; the last good ``last.pt`` / ``best.pt`` stay as they are.
"""

from __future__ import annotations

import torch

from detseg.engine.runtime.distributed import all_gather
from detseg.engine.training.run_state import RunState
from detseg.engine.training.train_steps import save_last
from detseg.engine.training.training_run import TrainingRun


class NonFiniteStateError(RuntimeError):
    """The model (or its EMA copy) holds a NaN or infinite weight or buffer: no checkpoint is
    written from it (the message names the tensor)."""


def checkpoint_note(state: RunState) -> str:
    """What is on disk for this run: the end of an error message about a stop."""
    if state.saved_iteration is None:
        return "no checkpoint was written yet"
    return f"the last good checkpoint (iteration {state.saved_iteration}) is kept"


def non_finite_tensor(run: TrainingRun) -> str | None:
    """Name of the first weight or buffer of the model (or of its EMA copy) that holds NaN or
    infinity, e.g. ``"model backbone.bn1.running_var"``; ``None`` when all are finite."""
    models = {"model": run.model, "EMA model": None if run.ema is None else run.ema.model}
    for owner, model in models.items():
        if model is None:
            continue
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                return f"{owner} {name}"
    return None


def check_finite(run: TrainingRun, file: str) -> None:
    """Refuse to write ``file`` from a model with a NaN or infinite weight or buffer (every
    process checks its own copy; all of them raise together).

    Raises:
        NonFiniteStateError: naming the tensor, and saying whether a good checkpoint is kept.
    """
    bad = next((name for name in all_gather(non_finite_tensor(run), run.dist) if name), None)
    if bad is None:
        return
    raise NonFiniteStateError(
        f"refusing to write {file} at iteration {run.state.iteration}: {bad} holds NaN or "
        f"infinite values. Training stopped; {checkpoint_note(run.state)}. Try a lower "
        "train.lr, a longer train.warmup_iters or train.grad_clip."
    )


def save_last_checked(run: TrainingRun) -> None:
    """:func:`check_finite`, then ``save_last``; remembers the iteration saved.

    Raises:
        NonFiniteStateError: nothing was written.
    """
    check_finite(run, "last.pt")
    save_last(run)
    run.state.saved_iteration = run.state.iteration
