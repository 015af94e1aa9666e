"""A training run that does not fit in memory: one line naming the config's sizes to lower.

A config can ask for more memory than a machine has (``model.width_mult: 1e9``,
``model.min_size: 100000``, a large ``train.batch_size`` on a small GPU). The allocator's error
then comes from deep inside a layer: PyTorch's CPU allocator raises a ``RuntimeError``, CUDA a
``torch.OutOfMemoryError``, numpy a ``MemoryError`` (:mod:`detseg.memory_errors` tells them
apart). :func:`out_of_memory_error` turns each into a ``ConfigError`` that states the size
asked for and the keys that set the memory a run needs, with their values; the allocator's
words stay on the error's cause (``DETSEG_TRACEBACK=1``). Checkpoints are written whole or not
at all (:mod:`detseg.engine.checkpointing`), so a run that stops here keeps its last good one."""

from __future__ import annotations

import torch

from detseg.config import Config, ConfigError
from detseg.memory_errors import asked_size, is_out_of_memory

__all__ = ["out_of_memory_error"]

#: The model keys that scale the memory of a step, named with their values when set: the
#: detectors' resize bounds (YOLO's ``input_size``, SSD's ``size``) and a MobileNet's width.
_MODEL_SIZE_KEYS = ("min_size", "max_size", "fixed_size", "input_size", "size", "width_mult")


def out_of_memory_error(
    error: BaseException, cfg: Config, device: torch.device
) -> ConfigError | None:
    """The one-line ``ConfigError`` for an out-of-memory ``error`` of the run of ``cfg`` on
    ``device``; ``None`` for any other error.

    The line names the size asked for and the config's ``train.batch_size`` and model sizes
    (those of :data:`_MODEL_SIZE_KEYS` that the config sets; for a segmenter, the image size
    its augmentations give), and on CUDA ``train.amp`` where it is off, e.g. ``out of memory
    on cpu (asked for 1,609.3 GiB): the model or a batch of images does not fit; lower one of
    train.batch_size (4), model.min_size (256), ...``.
    """
    if not is_out_of_memory(error):
        return None
    from detseg.segmentation import SEGMENTATION_MODELS

    sizes = [f"train.batch_size ({cfg.train.batch_size})"]
    kwargs = cfg.model.kwargs
    sizes += [f"model.{key} ({kwargs[key]})" for key in _MODEL_SIZE_KEYS if key in kwargs]
    if cfg.model.name in SEGMENTATION_MODELS:  # a segmenter takes the images as the data gives
        sizes.append("the image size (a resize or crop in data.augmentations)")
    amp = ""
    if device.type == "cuda" and cfg.train.amp == "none":
        amp = ", or set train.amp=auto to halve the activations"
    return ConfigError(
        f"out of memory on {device}{asked_size(error)}: the model or a batch of images does not "
        f"fit; lower one of {', '.join(sizes)}{amp} (DETSEG_TRACEBACK=1 shows where it ran out)"
    )
