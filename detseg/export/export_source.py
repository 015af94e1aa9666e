"""The model an export starts from: :func:`load_for_export`.

A source is a detseg model (exported as an eval-mode CPU copy, the caller's model untouched), a
checkpoint file, or a run folder (its ``best.pt``, else its ``last.pt``). A checkpoint is built
as :func:`detseg.load` and ``tools/eval.py`` build it, after the same config check, so that the
exported model is the one they predict with.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from torch import nn

from detseg.brief_values import brief
from detseg.engine.checkpointing.checkpoint import load_checkpoint
from detseg.engine.checkpointing.launch_folder import (
    LAUNCH_FOLDER_KEY,
    checkpoint_config,
    recorded_launch_folder,
)
from detseg.engine.checkpointing.model_files import model_from_checkpoint
from detseg.export.example_input import trained_size
from detseg.export.wrappers import ExportError
from detseg.run_folders import checkpoint_of


def load_for_export(
    source: nn.Module | str | Path, classes: list[str] | None = None, name: str | None = None
) -> tuple[nn.Module, str, list[str]]:
    """The model to export (an eval-mode CPU copy), its name and its class names.

    Args:
        source: a detseg model, a checkpoint file (``tools/train.py``'s ``best.pt``) or a run
            folder (its ``best.pt``, else its ``last.pt``, logged:
            :func:`~detseg.run_folders.checkpoint_of`).
        classes: class names (default: the checkpoint's, else ``class_1 .. class_K``).
        name: the model's name (default: the checkpoint config's ``model.name``, else the
            class name).

    Raises:
        TypeError: ``source`` is no model, file or folder (``None``).
        ExportError: ``classes`` is no list of names (a string).
    """
    model, name, classes, _, _ = load_source(source, classes, name)
    return model, name, classes


def load_source(
    source: nn.Module | str | Path, classes: list[str] | None, name: str | None
) -> tuple[nn.Module, str, list[str], list[int] | None, dict[str, Any] | None]:
    """:func:`load_for_export`, the category ids a checkpoint's ``meta["cat_ids"]`` stores
    (``None`` for a model, or a checkpoint without them) and its config's flat ``data``
    section (``None`` for a model), with the checkpoint's ``launch_folder`` (the folder
    training was started from) where it records one."""
    return load_source_sized(source, classes, name)[:5]


def load_source_sized(
    source: nn.Module | str | Path, classes: list[str] | None, name: str | None
) -> tuple[
    nn.Module, str, list[str], list[int] | None, dict[str, Any] | None, tuple[int, int] | None
]:
    """:func:`load_source` and the size the model was trained at, by its config's
    augmentations (:func:`~detseg.export.example_input.trained_size`; ``None`` for a model,
    or a config without a fixed-size crop): a segmenter's default export size."""
    check_source(source)
    classes = _name_list(classes)
    if isinstance(source, (str, Path)):
        source = checkpoint_of(source, "exporting")  # a run folder: its best.pt, else last.pt
        state = load_checkpoint(source)
        # The config check of detseg.load and tools/eval.py: an unknown model.name or key is
        # the same line in every tool, and the model built is the one they build; a relative
        # data.root missing here is read from the folder the run was started from, as
        # tools/eval.py reads it.
        cfg = checkpoint_config(state, source=str(source))
        model, config, stored = model_from_checkpoint(
            state, "cpu", cfg.model.to_dict(), source=str(source)
        )
        name = name or str(config.get("model", {}).get("name", type(model).__name__))
        cat_ids = (state.get("meta") or {}).get("cat_ids") or None
        data = cfg.data.dataset_kwargs()
        launch_folder = recorded_launch_folder(state)
        if launch_folder is not None:  # the check images' line names it
            data[LAUNCH_FOLDER_KEY] = launch_folder
        trained = trained_size(cfg.data.augmentations)
        return model.eval(), name, list(classes or stored), cat_ids, data, trained
    model = copy.deepcopy(source).cpu().eval()
    num_classes = int(getattr(model, "num_classes", 0))
    default = [f"class_{k}" for k in range(1, num_classes + 1)]
    return model, name or type(model).__name__, list(classes or default), None, None, None


def _name_list(classes: Any) -> list[str] | None:
    """``classes`` read once into a list of ``str`` (an iterator, a numpy array of names);
    ``None`` stays ``None``.

    Raises:
        ExportError: one string (it would be read as one name per letter) or an item that is
            no string.
    """
    if classes is None:
        return None
    names = (
        None if isinstance(classes, str) else [str(c) if isinstance(c, str) else c for c in classes]
    )
    if names is None or not all(isinstance(c, str) for c in names):
        raise ExportError(
            f"classes must be a list of class names in label order (label k is "
            f"classes[k - 1]), got {brief(classes, 80)}"
        )
    return names


def check_source(source: object) -> None:
    """Refuse a source that is no model, checkpoint file or run folder (``None``, a number,
    an ``nn.Module`` class instead of a model).

    Raises:
        TypeError: naming what was given and what to give.
    """
    if not isinstance(source, (nn.Module, str, Path)):
        raise TypeError(
            f"give a detseg model, a checkpoint file or a run folder to export, got {brief(source)}"
        )
