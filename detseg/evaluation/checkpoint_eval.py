"""Evaluate a checkpoint on its validation split (or another split of its dataset, by name):
COCO report of a detector, mIoU of a segmenter.

The checkpoint holds everything needed: model settings, classes and the data config, which
``overrides`` (``"key=value"`` strings, as ``--set`` takes them) can change, e.g.
``data.root=/data/shapes`` or ``eval.max_images=100``; ``split`` names another split of the
same dataset (``test``; :func:`~detseg.evaluation.evaluation_split.split_section`). This
module reads the checkpoint and the split and hands them to the evaluation of the model's task:

- a detector's, :func:`~detseg.evaluation.checkpoint_detection_eval.evaluate_detector`: the
  COCO report (VOC mAP first with a VOC metric, mask AP for a model with masks on COCO data)
  and ``detections.json``;
- a segmenter's, :func:`~detseg.evaluation.checkpoint_segmentation_eval.evaluate_segmenter`:
  ``metrics.json`` (mIoU) and ``confusion_matrix.png``.

Both write into a hidden folder of the output folder and move the files out only once all are
written (:mod:`detseg.evaluation.output_staging`): a failed evaluation leaves the earlier
results as they were.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from detseg.argument_checks import check_at_least, check_output_folder, check_unit_number
from detseg.config import EvalConfig
from detseg.config.dataclass_building import type_hints
from detseg.data.registry import build_dataset, with_known_classes
from detseg.data.said_once import say_dataset_warnings_once
from detseg.engine.checkpointing import load_checkpoint, model_from_checkpoint
from detseg.engine.checkpointing.launch_folder import checkpoint_config
from detseg.engine.runtime import resolve_device
from detseg.engine.training.model_setup import check_model_task
from detseg.engine.validation import DatasetHead
from detseg.evaluation.checkpoint_detection_eval import evaluate_detector
from detseg.evaluation.checkpoint_segmentation_eval import evaluate_segmenter
from detseg.evaluation.evaluation_split import (
    check_split_classes,
    check_split_name,
    split_section,
)
from detseg.evaluation.summary import EvaluationSummary
from detseg.named_settings import NameOnly, SettingError, literal


def evaluate_checkpoint(
    checkpoint: str | os.PathLike,
    out: str | os.PathLike | None = None,
    overrides: Sequence[str] | Mapping[str, Any] = (),
    backend: str | None = None,
    worst_k: int = 8,
    score_threshold: float = 0.3,
    metric: str | None = None,
    data_file: str | os.PathLike | None = None,
    split: str | None = None,
) -> EvaluationSummary:
    """Evaluate ``checkpoint`` on the val split of its config (or split ``split`` of its
    dataset); write the results into ``out``.

    Args:
        checkpoint: a ``best.pt`` / ``last.pt`` written by training.
        out: output folder (default: the checkpoint's folder plus ``/eval``, or
            ``/eval_<split>`` for a ``split``, so that a split's report does not replace the
            val split's: :func:`default_output`; created). The
            files of an earlier evaluation there stay until the new ones are all written, and
            stay as they were when the evaluation fails
            (:mod:`detseg.evaluation.output_staging`).
        overrides: ``"key=value"`` changes of the checkpoint's config, or a mapping of dotted
            keys to values (``{"eval.max_images": 50}``), as :func:`detseg.load` takes them.
        backend: COCOeval implementation, ``"faster"`` or ``"pycocotools"`` (default: the
            config's ``eval.backend``); detection only.
        worst_k, score_threshold: gallery size (an integer >= 0) and score threshold (in
            ``[0, 1]``; a 0-d tensor or numpy number too) of the detection report, checked
            before any work
            (see :func:`detseg.evaluation.summary.write_coco_report`).
        metric: detection metric, ``"auto"``, ``"coco"``, ``"voc07"`` or ``"voc12"``
            (default: the config's ``eval.metric``; ``auto`` is ``voc07`` on VOC data).
        data_file: a data yaml (``detseg.config.load_data_file``) that replaces the
            checkpoint's data section: evaluate on another dataset of the same classes.
        split: the name of the split to evaluate (``val``, ``test``, ...) of the dataset
            (after ``overrides`` and ``data_file``), found by the convention of the data
            section's own paths (:func:`~detseg.evaluation.evaluation_split.split_section`);
            the report names it. ``None``: the config's val split.

    Returns:
        The summary of :func:`evaluate_segmenter` or :func:`evaluate_detector`.

    Raises:
        ConfigError: a bad override, or the model's task (detection, segmentation) is not
            the data's (``data.format``).
        CheckpointError: an unreadable checkpoint.
        SettingError: ``backend`` or ``metric`` is none of its choices (checked before any
            work); the val split's classes differ from the checkpoint's
            (:func:`~detseg.evaluation.evaluation_split.check_split_classes`), or ``split`` is
            no split of the dataset (the line lists those that are); a ``ValueError`` whose
            message names ``split=`` and ``overrides`` (a tool names its flags by
            ``error.naming(flags)``).
        NotADirectoryError: ``out`` is a file (checked before any work; the line names it
            ``out``: a tool checks its ``--out`` itself, before this call).
        ValueError: ``score_threshold`` outside ``[0, 1]`` or no number, ``worst_k`` below 0
            or no integer (checked before any work).
    """
    score_threshold = check_unit_number(score_threshold, "score_threshold")  # before any work
    check_at_least(worst_k, "worst_k", 0)
    _check_choice("backend", backend)
    _check_choice("metric", metric)
    checkpoint = Path(checkpoint)
    out = check_output_folder(out if out is not None else default_output(checkpoint, split), "out")
    state = load_checkpoint(checkpoint)
    overrides = _with_choices(overrides, backend, metric)
    # a relative data.root missing here is read from the folder the run was started from; a
    # root missing there too is said in a warning before the reader's error
    cfg = checkpoint_config(
        state,
        source=str(checkpoint),
        overrides=overrides,
        data_file=data_file,
        say_missing_root=True,
    )
    if not cfg.data.root and data_file is None:  # before the model is built
        raise _no_dataset_error(checkpoint, len(state.get("classes") or ()))
    if split is not None:  # before the model is built: a missing split is said at once
        cfg.data = split_section(cfg.data, split)
    device = resolve_device(cfg.device)
    model, _, classes = model_from_checkpoint(
        state, device, cfg.model.to_dict(), source=str(checkpoint)
    )
    check_model_task(model, cfg, source=str(checkpoint))  # before any data is read
    say_dataset_warnings_once()  # the ground truth and the predictions read the same images
    val_set: Any = build_dataset(with_known_classes(cfg.data.dataset_kwargs(), classes), "val")
    check_split_classes(val_set.classes, classes, cfg.data)
    if cfg.eval.max_images is not None:
        val_set = DatasetHead(val_set, cfg.eval.max_images)
    if getattr(model, "task", "detection") == "segmentation":
        return evaluate_segmenter(checkpoint, cfg, model, val_set, classes, device, out, split)
    return evaluate_detector(
        checkpoint, cfg, model, val_set, device, out, worst_k, score_threshold, split
    )


def _no_dataset_error(checkpoint: Path, num_classes: int) -> SettingError:
    """The error for a checkpoint whose config names no dataset (no ``data.root``: one
    converted from torchvision's weights, or saved from a model built in Python), given no
    data to score it on: the settings that give the data (``--data FILE``, ``--set
    data.root=PATH`` from a tool)."""
    return SettingError(
        f"{literal(str(checkpoint))} names no dataset to score it on (its config has no "
        "data.root: a checkpoint converted from torchvision's weights, or saved from a model "
        "built in Python): give the data with {data_file} or {overrides}, labelled in the "
        f"checkpoint's {num_classes} classes and order",
        data_file=NameOnly("data_file=FILE", "FILE"),
        overrides=NameOnly("overrides=['data.root=PATH']", "data.root=PATH"),
    )


def default_output(checkpoint: str | os.PathLike, split: str | None = None) -> Path:
    """The output folder of an evaluation of ``checkpoint`` given none: ``eval`` beside it,
    ``eval_<split>`` for a split chosen by name (``eval_test``), so that evaluating the
    held-out split does not replace the val split's report.

    Raises:
        SettingError: ``split`` is no single name (:func:`check_split_name`: ``""``, ``..``,
            ``a/b``), which would name a folder elsewhere (``x/../../y``: outside the run).
    """
    if split is None:
        return Path(checkpoint).parent / "eval"
    check_split_name(split)
    return Path(checkpoint).parent / f"eval_{split}"


def _check_choice(keyword: str, value: str | None) -> None:
    """Refuse a ``backend`` or ``metric`` (``keyword``) that is none of the choices of the
    config key ``eval.<keyword>`` it sets, naming it as the caller gave it: the keyword from
    Python (``backend='fast'``), the flag from a tool (``naming(flags)``), rather than the
    ``eval.backend`` override that carries it into the config.

    Raises:
        SettingError: one line naming the value and the choices.
    """
    choices = typing.get_args(type_hints(EvalConfig)[keyword])
    if value is None or value in choices:
        return
    raise SettingError(
        f"{{{keyword}}}: the {keyword} must be one of {', '.join(choices)} (eval.{keyword} of "
        "the config)",
        **{keyword: value},
    )


def _with_choices(
    overrides: Sequence[str] | Mapping[str, Any], backend: str | None, metric: str | None
) -> Sequence[str] | Mapping[str, Any]:
    """``overrides`` with ``eval.backend`` and ``eval.metric`` set to ``backend`` and
    ``metric`` where given, in the form they came in (a list of ``"key=value"`` strings or a
    mapping); a single string is left as it is, for the config check to refuse by name."""
    pairs = (("eval.backend", backend), ("eval.metric", metric))
    chosen = {key: value for key, value in pairs if value}
    if isinstance(overrides, Mapping):
        return {**overrides, **chosen}
    if isinstance(overrides, str):
        return overrides
    return [*overrides, *(f"{key}={value}" for key, value in chosen.items())]
