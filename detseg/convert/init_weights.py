"""``model.init_from``: start training from a whole detector's or segmenter's weights.

The fine-tuning workflow of torchvision's tutorial: take a COCO-trained model and train it on
new classes. ``model.init_from`` names the weights:

- a detseg checkpoint (``best.pt`` / ``last.pt`` of a run, or a ``tools/convert_torchvision.py``
  output): the weights that ``detseg.load`` and ``tools/eval.py`` use (``best.pt`` of a run
  with ``train.ema`` holds the EMA weights; ``last.pt`` the training weights, its EMA copy
  being for ``--resume``), or its run folder: its ``best.pt``, else its ``last.pt``
  (:func:`~detseg.run_folders.run_checkpoint`, the rule of ``detseg.load``; a log line names
  the file);
- a torchvision state-dict file (e.g. ``fasterrcnn_resnet50_fpn_coco-258fb6c6.pth``), converted
  through ``from_torchvision``'s key mapping (:mod:`detseg.convert.torchvision_archs`);
- ``torchvision:<builder name>`` (``torchvision:fasterrcnn_resnet50_fpn``): that builder's default
  weights, read from the torch hub cache. Nothing is downloaded: an absent file is an error that
  says how to get it.

A file may hold the state dict itself or a dict with it under ``model`` or ``state_dict``;
the ``module.`` / ``_orig_mod.`` prefixes of a model saved wrapped in DDP or ``torch.compile``
are removed (:func:`~detseg.convert.torchvision_archs.read_weights`).

Every tensor whose name and shape match the freshly built model is copied. A tensor with the
right name but another shape (the class layers, when the class count differs) keeps its fresh
initialisation: it is *re-initialised*. Source tensors the model does not have are *ignored*.
A source that matches no tensor at all is an error naming it; one that matches under half of
the model's tensors (another architecture's weights) is a warning
(:meth:`InitReport.fit_warning`).

A detseg checkpoint states the classes it was trained on. When they are as many as the run's
but other names or in another order, its class layers fit by shape and are loaded, scoring
other classes than the run's labels: the report warns (:meth:`InitReport.class_warning`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from detseg.choices.torchvision_archs import TORCHVISION_INIT_PREFIX
from detseg.convert.torchvision_archs import (
    convert_torchvision_state,
    hub_weights_file,
    read_state_dict,
    read_weights_and_classes,
)
from detseg.run_folders import run_checkpoint

__all__ = ["InitReport", "init_source_state", "load_init_weights"]

logger = logging.getLogger(__name__)

#: What ``model.init_from`` takes, ending the messages of a source that is not one.
INIT_SOURCES = "a detseg checkpoint, a torchvision state-dict file or torchvision:<builder name>"


@dataclass
class InitReport:
    """What :func:`load_init_weights` did with each tensor.

    Attributes:
        source: ``model.init_from`` as given.
        origin: What the source turned out to be (e.g. "torchvision fasterrcnn_resnet50_fpn,
            91 classes" or "detseg state dict").
        loaded: Model keys copied from the source.
        reinitialised: ``(key, source shape, model shape)`` of the keys left at their fresh
            initialisation because the shapes differ (class layers for another class count).
        not_in_source: Model keys the source does not have (fresh initialisation).
        ignored: Source keys the model does not have.
        source_classes: The foreground names in label order the source was trained on (a
            detseg checkpoint's ``classes``), ``None`` where it states none.
        classes: The run's foreground names in label order, ``None`` where not given.
    """

    source: str
    origin: str
    loaded: list[str] = field(default_factory=list)
    reinitialised: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    not_in_source: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    source_classes: list[str] | None = None
    classes: list[str] | None = None

    def lines(self) -> list[str]:
        """A short account for the training log: counts per module, every re-initialised key."""
        out = [
            f"model.init_from {self.source} ({self.origin}): loaded {len(self.loaded)} tensors "
            f"{_by_module(self.loaded)}"
        ]
        for key, src, dst in self.reinitialised:
            out.append(f"  re-initialised {key}: {list(src)} in the source, {list(dst)} here")
        if self.not_in_source:
            out.append(
                f"  not in the source, kept their initialisation: {len(self.not_in_source)} "
                f"{_by_module(self.not_in_source)}"
            )
        if self.ignored:
            out.append(
                f"  ignored (not in this model): {len(self.ignored)} {_by_module(self.ignored)}"
            )
        return out

    def class_warning(self) -> str | None:
        """One line when the source's class layers were loaded for other classes: the source
        states as many classes as the run's but other names or another order (a class count
        that differs re-initialises them instead); else ``None``."""
        src, run = self.source_classes, self.classes
        if src is None or run is None or len(src) != len(run) or src == run:
            return None
        reordered = sorted(src) == sorted(run)
        what = "the same classes in another order" if reordered else "others"
        advice = (
            "give data.classes in the source's order to keep their meaning"
            if reordered
            else "fine-tuning retrains them from there"
        )
        return (
            f"model.init_from {self.source} was trained on classes {src}, this run's are {run} "
            f"({what}): its class layers fit by shape and were loaded, so label k starts from "
            f"the source's class k; {advice}"
        )

    def fit_warning(self) -> str | None:
        """One line when the source fits under half of the model's tensors (BatchNorm
        counters aside), so most of the model keeps its fresh initialisation, as when the source
        is another architecture (a ResNet-50 Faster R-CNN's weights for a MobileNet one: only
        a few head layers of equal shapes load); else ``None``."""
        fitted = [key for key in self.loaded if not key.endswith("num_batches_tracked")]
        unfit = [
            key
            for key in [k for k, _, _ in self.reinitialised] + self.not_in_source
            if not key.endswith("num_batches_tracked")
        ]
        total = len(fitted) + len(unfit)
        if 2 * len(fitted) >= total:
            return None
        return (
            f"model.init_from {self.source} ({self.origin}) fits only {len(fitted)} of the "
            f"model's {total} tensors; the other {len(unfit)} keep their fresh initialisation "
            f"{_by_module(unfit)}: is it the weights of another architecture? give weights of "
            "the model that model.name builds (same backbone and heads)"
        )

    def warnings(self) -> list[str]:
        """The lines to log as warnings: :meth:`class_warning` and :meth:`fit_warning`."""
        return [line for line in (self.class_warning(), self.fit_warning()) if line]


def _by_module(keys: list[str], depth: int = 2) -> str:
    """``(backbone.body 265, rpn.head 6)``: keys counted by their first ``depth`` names."""
    counts = Counter(".".join(key.split(".")[:depth]) for key in keys)
    return "(" + ", ".join(f"{name} {n}" for name, n in counts.items()) + ")"


def init_source_state(source: str) -> tuple[dict[str, Tensor], str]:
    """The detseg state dict named by ``model.init_from``, and what the source was.

    Args:
        source: A detseg checkpoint or state-dict file, a training run's folder (its
            ``best.pt``, else its ``last.pt``; a log line names the file), a torchvision
            state-dict file, or ``torchvision:<builder name>``.

    Returns:
        ``(state dict with detseg key names, description of the source)``.

    Raises:
        FileNotFoundError: No such file, or torchvision weights absent from the hub cache.
        ValueError: Not a checkpoint, or an unknown torchvision builder.
    """
    state, origin, _ = _source_state_and_classes(source)
    return state, origin


def _source_state_and_classes(
    source: str, log: bool = True
) -> tuple[dict[str, Tensor], str, list[str] | None]:
    """:func:`init_source_state`, and the class names a detseg checkpoint states (else
    ``None``); ``log``: log the file a run folder stands for (:func:`_run_file`)."""
    if source.startswith(TORCHVISION_INIT_PREFIX):
        arch = source[len(TORCHVISION_INIT_PREFIX) :]
        path = hub_weights_file(arch)
        converted = convert_torchvision_state(read_state_dict(path), arch, source=str(path))
        return converted.state, f"torchvision {arch}, {converted.num_classes} classes", None
    try:
        state, _, classes = read_weights_and_classes(_run_file(source, log), give=INIT_SOURCES)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"model.init_from: file not found: {source}; give {INIT_SOURCES}"
        ) from None
    except ValueError as err:  # one line naming the file and what to give (CheckpointError)
        raise type(err)(f"model.init_from: {err}") from None
    if classes is not None:  # a detseg checkpoint: detseg names, no torchvision builder to find
        return state, "detseg state dict", classes
    try:
        converted = convert_torchvision_state(state, source=source)
    except ValueError:  # not a torchvision model's exact key set: detseg names
        return state, "detseg state dict", classes
    origin = f"torchvision {converted.arch}, {converted.num_classes} classes"
    return converted.state, origin, None


def _run_file(source: str, log: bool = True) -> str:
    """``source``, or the checkpoint it stands for when it is a run folder
    (:func:`~detseg.run_folders.run_checkpoint`: its ``best.pt``, else its ``last.pt``),
    logged where ``log``.

    Raises:
        CheckpointError: a folder without ``best.pt`` or ``last.pt``.
    """
    folder = Path(source).expanduser()
    if not folder.is_dir():
        return source
    path, why = run_checkpoint(folder, give=INIT_SOURCES)
    if log:
        logger.info("model.init_from %s: reading %s (a run folder; %s)", source, path, why)
    return str(path)


def load_init_weights(
    model: nn.Module, source: str, classes: Sequence[str] | None = None, *, log: bool = True
) -> InitReport:
    """Copy every tensor of ``source`` whose name and shape match into ``model``.

    Args:
        model: A freshly built detseg model (its own initialisation stays where nothing fits).
        source: ``model.init_from`` (see :func:`init_source_state`).
        classes: The run's foreground names in label order, compared with those a detseg
            checkpoint states (:meth:`InitReport.class_warning`).
        log: log the file a run folder stands for (``False`` on the processes of a
            distributed run other than rank 0, which report nothing).

    Returns:
        The :class:`InitReport` of what was loaded, re-initialised and ignored.

    Raises:
        ValueError: No tensor of the source fits the model.
        FileNotFoundError: See :func:`init_source_state`.
    """
    state, origin, source_classes = _source_state_and_classes(source, log)
    report = InitReport(source=source, origin=origin, source_classes=source_classes)
    report.classes = list(classes) if classes is not None else None
    target = model.state_dict()
    matched: dict[str, Tensor] = {}
    for key, value in target.items():
        if key not in state:
            report.not_in_source.append(key)
        elif state[key].shape != value.shape:
            report.reinitialised.append((key, tuple(state[key].shape), tuple(value.shape)))
        else:
            matched[key] = state[key]
            report.loaded.append(key)
    report.ignored = [key for key in state if key not in target]
    counters = [k for k in report.loaded if k.endswith("num_batches_tracked")]
    if len(matched) == len(counters):
        example = ", ".join(list(state)[:3])
        raise ValueError(
            f"model.init_from {source}: no tensor fits this model ({type(model).__name__}); "
            f"the source has {len(state)} tensors such as {example}: is it the weights of "
            "another architecture? (the ImageNet weights of a backbone alone, e.g. "
            "resnet50-0676ba61.pth, go in model.backbone_weights=<file>)"
        )
    with torch.no_grad():
        model.load_state_dict(matched, strict=False)
    return report
