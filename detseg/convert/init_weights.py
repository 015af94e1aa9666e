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
  says how to get it, a damaged one (a download cut short, another file under its name) one
  that says to delete it and get it again.

A file may hold the state dict itself or a dict with it under ``model`` or ``state_dict``;
the ``module.`` / ``_orig_mod.`` prefixes of a model saved wrapped in DDP or ``torch.compile``
are removed (:func:`~detseg.convert.torchvision_archs.read_weights`).

Every tensor whose name and shape match the freshly built model is copied. A tensor with the
right name but another shape (the class layers, when the class count differs) keeps its fresh
initialisation: it is *re-initialised*. Source tensors the model does not have are *ignored*.
A source that matches no tensor at all is an error naming it (the weights of the other task,
a segmenter's for a detector or the other way round, where a detseg checkpoint's
``config.model.name`` or the torchvision builder says so); one that matches under half of
the model's tensors (another architecture's weights) is a warning
(:meth:`InitReport.fit_warning`).

A detseg checkpoint states the classes it was trained on. When they are as many as the run's
but other names or in another order, its class layers fit by shape and are loaded, scoring
other classes than the run's labels: the report warns (:meth:`InitReport.class_warning`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from detseg.choices.torchvision_archs import SEGMENTATION_TWINS, TORCHVISION_INIT_PREFIX
from detseg.convert.torchvision_archs import (
    convert_torchvision_state,
    hub_download_commands,
    hub_weights_file,
    read_state_dict,
    read_weights_and_classes,
)
from detseg.run_folders import run_checkpoint
from detseg.torch_files import read_torch_file

__all__ = ["InitReport", "init_source_state", "load_init_weights"]

logger = logging.getLogger(__name__)

#: The name ending of BatchNorm's batch counters, counted apart from the weights.
COUNTER = "num_batches_tracked"
#: How many re-initialised keys :meth:`InitReport.lines` names; the others are counted.
LISTED_KEYS = 10

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
        """A short account for the training log: tensors counted per module (BatchNorm
        counters, ``num_batches_tracked``, on a line of their own, so the loaded count is that
        of :meth:`fit_warning`), the first :data:`LISTED_KEYS` re-initialised keys by name and
        the others per module."""
        loaded, counters = _split_counters(self.loaded)
        not_in_source, absent = _split_counters(self.not_in_source)
        ignored, unused = _split_counters(self.ignored)
        out = [
            f"model.init_from {self.source} ({self.origin}): loaded {_tensors(len(loaded))} "
            f"{_by_module(loaded)}"
        ]
        for key, src, dst in self.reinitialised[:LISTED_KEYS]:
            out.append(f"  re-initialised {key}: {list(src)} in the source, {list(dst)} here")
        rest = [key for key, _, _ in self.reinitialised[LISTED_KEYS:]]
        if rest:
            out.append(
                f"  ... and {len(rest)} more re-initialised (by module: {_module_counts(rest)})"
            )
        if not_in_source:
            out.append(
                f"  not in the source, kept their initialisation: {len(not_in_source)} "
                f"{_by_module(not_in_source)}"
            )
        if ignored:
            out.append(f"  ignored (not in this model): {len(ignored)} {_by_module(ignored)}")
        kinds = zip(
            (counters, absent, unused), ("loaded", "not in the source", "ignored"), strict=True
        )
        counts = ", ".join(f"{len(keys)} {kind}" for keys, kind in kinds if keys)
        if counts:
            out.append(f"  BatchNorm counters (num_batches_tracked): {counts}")
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
        fitted = _split_counters(self.loaded)[0]
        unfit = _split_counters([k for k, _, _ in self.reinitialised] + self.not_in_source)[0]
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


def _split_counters(keys: list[str]) -> tuple[list[str], list[str]]:
    """``(keys, BatchNorm counters)``: the ``num_batches_tracked`` keys set apart."""
    counters = [key for key in keys if key.endswith(COUNTER)]
    return [key for key in keys if not key.endswith(COUNTER)], counters


def _tensors(count: int) -> str:
    return f"{count} tensor" if count == 1 else f"{count} tensors"


def _by_module(keys: list[str], depth: int = 2) -> str:
    """``(backbone.body 265, rpn.head 6)``: keys counted by their first ``depth`` names."""
    return f"({_module_counts(keys, depth)})"


def _module_counts(keys: list[str], depth: int = 2) -> str:
    """``backbone.body 265, rpn.head 6``: keys counted by their first ``depth`` names."""
    counts = Counter(".".join(key.split(".")[:depth]) for key in keys)
    return ", ".join(f"{name} {n}" for name, n in counts.items())


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
        ValueError: Not a checkpoint, an unknown torchvision builder, or a torch hub cache
            file that is damaged or holds other weights (the message says to download it
            again).
    """
    state, origin, _, _ = _source_state_and_classes(source)
    return state, origin


def _source_state_and_classes(
    source: str, log: bool = True
) -> tuple[dict[str, Tensor], str, list[str] | None, str | None]:
    """:func:`init_source_state`, the class names a detseg checkpoint states (else ``None``)
    and the torchvision builder of torchvision weights (else ``None``); ``log``: log the file a
    run folder stands for (:func:`_run_file`)."""
    if source.startswith(TORCHVISION_INIT_PREFIX):
        arch = source[len(TORCHVISION_INIT_PREFIX) :]
        path = hub_weights_file(arch)
        try:
            converted = convert_torchvision_state(read_state_dict(path), arch, source=str(path))
        except ValueError as err:  # a download cut short, another file under its name
            raise ValueError(
                f"model.init_from {source}: the torch hub cache file {path} is damaged or is "
                f"not torchvision's {arch} weights ({_reason(err, path)}); delete it, then "
                f"{hub_download_commands(arch)}"
            ) from None
        origin = f"torchvision {arch}, {converted.num_classes} classes"
        return converted.state, origin, None, arch
    try:
        state, _, classes = read_weights_and_classes(_run_file(source, log), give=INIT_SOURCES)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"model.init_from: file not found: {source}; give {INIT_SOURCES}"
        ) from None
    except ValueError as err:  # one line naming the file and what to give (CheckpointError)
        raise type(err)(f"model.init_from: {err}") from None
    if classes is not None:  # a detseg checkpoint: detseg names, no torchvision builder to find
        return state, "detseg state dict", classes, None
    try:
        converted = convert_torchvision_state(state, source=source)
    except ValueError:  # not a torchvision model's exact key set: detseg names
        return state, "detseg state dict", classes, None
    origin = f"torchvision {converted.arch}, {converted.num_classes} classes"
    return converted.state, origin, None, converted.arch


def _reason(err: Exception, path: Path) -> str:
    """What ``err`` says is wrong with the file ``path``, without the file's name and the advice
    of the file readers (``"<path> is empty (0 bytes); give ..."`` -> ``"it is empty (0 bytes)"``).
    """
    text = str(err).split("; give ", 1)[0]
    name = f"{path} "
    return "it " + text[len(name) :] if text.startswith(name) else text


def _no_fit_message(
    model: nn.Module, source: str, state: dict[str, Tensor], arch: str | None
) -> str:
    """The error of a source of which no tensor fits ``model``: the weights of the other task
    (a segmenter's for a detector, or the other way round) where the source says what it is
    (torchvision builder ``arch``, a detseg checkpoint's ``config.model.name``), else another
    architecture's or a backbone's alone."""
    task = getattr(model, "task", "detection")  # what a detseg segmenter says it is
    source_task: str | None
    if arch is not None:
        kind = f"torchvision {arch}"
        source_task = "segmentation" if arch in SEGMENTATION_TWINS else "detection"
    else:
        kind = _detseg_model_name(source) or ""
        source_task = _detseg_model_task(kind)
    if source_task is not None and task in _MODEL_KINDS and source_task != task:
        have, want = _MODEL_KINDS[source_task], _MODEL_KINDS[task]
        return (
            f"model.init_from {source} holds a {have}'s weights ({kind}), but this model "
            f"({type(model).__name__}) is a {want}: give a {want}'s weights, or set model.name "
            f"to a {have}"
        )
    names = list(state)
    held = (
        f"1 tensor ({names[0]})"
        if len(names) == 1
        else f"{len(names)} tensors such as {', '.join(names[:3])}"
    )
    return (
        f"model.init_from {source}: no tensor fits this model ({type(model).__name__}); the "
        f"source has {held}: is it the weights of another architecture? (the ImageNet weights "
        "of a backbone alone, e.g. resnet50-0676ba61.pth, go in model.backbone_weights=<file>)"
    )


#: What a model of each task is called in messages.
_MODEL_KINDS = {"detection": "detector", "segmentation": "segmenter"}


def _detseg_model_name(source: str) -> str | None:
    """``"detseg <config.model.name>"`` of a detseg checkpoint ``source`` (a file or a run
    folder), else ``None`` (a bare state dict, or a file that cannot be read)."""
    try:
        data = read_torch_file(_run_file(source, log=False), INIT_SOURCES)
    except (OSError, ValueError):
        return None
    config = data.get("config") if isinstance(data, Mapping) else None
    section = config.get("model") if isinstance(config, Mapping) else None
    name = section.get("name") if isinstance(section, Mapping) else None
    return f"detseg {name}" if isinstance(name, str) else None


def _detseg_model_task(kind: str) -> str | None:
    """``"segmentation"`` or ``"detection"`` for ``"detseg <model name>"``, ``None`` for
    anything else (a name that is not of ``detseg.models.MODELS``, ``""``)."""
    from detseg.models import MODELS
    from detseg.segmentation import SEGMENTATION_MODELS

    name = kind.removeprefix("detseg ")
    if not kind.startswith("detseg ") or name not in MODELS:
        return None
    return "segmentation" if name in SEGMENTATION_MODELS else "detection"


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
        ValueError: No tensor of the source fits the model (a segmenter's weights for a
            detector, or the other way round, are named so), or see :func:`init_source_state`.
        FileNotFoundError: See :func:`init_source_state`.
    """
    state, origin, source_classes, arch = _source_state_and_classes(source, log)
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
    if not _split_counters(report.loaded)[0]:
        raise ValueError(_no_fit_message(model, source, state, arch))
    with torch.no_grad():
        model.load_state_dict(matched, strict=False)
    return report
