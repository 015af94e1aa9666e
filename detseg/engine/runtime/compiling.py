"""``model.compile``: ``torch.compile`` of the training forward pass, applied in place.

``nn.Module.compile`` compiles a module's ``__call__`` without wrapping the module, so the model
keeps its attributes and its state-dict keys (checkpoints do not change). What is compiled:

- ``"backbone"``: ``model.backbone``, the feature extractor every detseg model has (a
  detector's backbone with its FPN, a segmenter's encoder). Heads, target assignment and losses
  stay eager, so their data-dependent shapes (proposals, matches) cause no recompilation.
- ``"all"``: the module whose ``forward(images, targets)`` returns the losses (the
  :class:`~detseg.engine.runtime.distributed.LossForward` of the run, or its
  ``DistributedDataParallel`` wrapper, which ``torch.compile`` splits at the gradient buckets),
  so ``model.losses`` is compiled as a whole; where it cannot be captured it runs in pieces
  (graph breaks).

The first steps pay for the compilation, and every new input shape for a recompilation (after
the first, dynamo marks the changing sizes dynamic). Detection inputs are padded to a multiple
of 32 (``size_divisible``), which keeps the shapes few.
"""

from __future__ import annotations

import logging

from torch import nn

logger = logging.getLogger(__name__)

#: The ``torch.compile`` backend. Tests set ``"eager"`` (the same graph capture, no code
#: generation), which is fast and keeps every value as without compilation.
COMPILE_BACKEND = "inductor"


def compile_for_training(model: nn.Module, train_model: nn.Module, mode: str) -> None:
    """Compile ``model``'s backbone or the whole loss computation in place (``model.compile``).

    Args:
        model: the detseg model being trained (not a wrapper), with a ``backbone`` submodule.
        train_model: the module whose ``forward(images, targets)`` returns the loss dict (the
            run's ``LossForward`` or its DDP wrapper), compiled for ``"all"``.
        mode: ``"none"`` (nothing happens), ``"backbone"`` or ``"all"``.

    Raises:
        ValueError: an unknown ``mode``, or ``"backbone"`` for a model without a ``backbone``.
    """
    if mode == "none":
        return
    if mode == "backbone":
        backbone = getattr(model, "backbone", None)
        if not isinstance(backbone, nn.Module):
            raise ValueError(
                f"model.compile: backbone needs a model with a 'backbone' module; "
                f"{type(model).__name__} has none (use model.compile: all)"
            )
        backbone.compile(backend=COMPILE_BACKEND)
    elif mode == "all":
        train_model.compile(backend=COMPILE_BACKEND)
    else:
        raise ValueError(f"model.compile must be none, backbone or all, got {mode!r}")
    logger.info("model.compile %s: torch.compile (%s backend)", mode, COMPILE_BACKEND)
