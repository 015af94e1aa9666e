"""Where a training run stands: epoch, position inside it, best score, early stopping.

A :class:`RunState` is stored in every checkpoint's ``meta["run"]``; ``--resume`` reads it
back. ``epoch_batches`` is the position inside the current epoch (batches consumed), so a run
interrupted mid-epoch continues with the next batch of that epoch.
"""

from __future__ import annotations

import dataclasses
import math
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import detseg
from detseg.engine.validation.detection import VOC_MAP_KEY
from detseg.evaluation.voc_coco import is_voc_metric

#: The validation number that picks ``best.pt`` (higher is better), per task, for a detector
#: scored with the COCO metric; :func:`score_key` gives the key of any run.
SCORE_KEY = {"detection": "AP", "segmentation": "mIoU"}


def score_key(task: str, metric: str = "coco") -> str:
    """The validation number that picks ``best.pt``: ``voc_mAP`` for a detector scored with a
    VOC ``metric`` (``voc07`` / ``voc12``), else ``SCORE_KEY[task]`` (``AP`` or ``mIoU``)."""
    if task == "detection" and is_voc_metric(metric):
        return VOC_MAP_KEY
    return SCORE_KEY[task]


def score_name(task: str, metric: str = "coco") -> str:
    """What picks ``best.pt``, as checkpoints record it (``meta["score_by"]``): the
    :func:`score_key` and, for a detector, the metric that computes it (``"AP (coco)"``,
    ``"voc_mAP (voc07)"``, ``"voc_mAP (voc12)"``; ``"mIoU"`` for a segmenter). Best scores of
    two names do not compare."""
    key = score_key(task, metric)
    return f"{key} ({metric})" if task == "detection" else key


#: :class:`RunState` fields that ``meta["run"]`` does not hold (``run_id`` is ``meta["run_id"]``).
_UNSTORED = ("last_metrics", "saved_iteration", "run_id", "early_stop_epoch")


@dataclass
class RunState:
    """Where training stands; stored in each checkpoint's ``meta["run"]`` for ``--resume``.

    Attributes:
        epoch: the epoch in progress (or the next one to run).
        epoch_batches: batches of ``epoch`` already trained on (0 at an epoch's start).
        iteration: optimizer steps done.
        best_score: best validation score so far (:func:`score_key`: AP or VOC mAP of a
            detector, mIoU of a segmenter); ``-inf`` before the first evaluation.
        best_epoch: the epoch that reached it (``None`` before the first evaluation: whatever
            that evaluation scores, -1 or nan included, makes it the best so far, so every
            evaluated run has a ``best.pt``).
        evals_since_best: evaluations since the last improvement (early stopping).
        skipped_steps: steps dropped for a non-finite loss (``train.on_nonfinite=skip``).
        last_metrics: metrics of the last evaluation (not stored in ``run``; in ``metrics``).
        saved_iteration: iteration of the newest checkpoint this run wrote or resumed from;
            ``None`` while there is none (not stored).
        run_id: the run's identity, a random hex string drawn when a new run starts and kept
            by ``--resume``; stored as ``meta["run_id"]`` (beside ``run``), so that a resumed
            run knows the ``best.pt`` it finds is its own (checkpoints of older versions have
            none).
        early_stop_epoch: the epoch whose evaluation ended the run through ``train.patience``
            before its epochs (or ``train.max_iters``) were done; ``None`` otherwise (not
            stored: ``--resume`` derives it from the saved run's config).
    """

    epoch: int = 0
    epoch_batches: int = 0
    iteration: int = 0
    best_score: float = -math.inf
    best_epoch: int | None = None
    evals_since_best: int = 0
    skipped_steps: int = 0
    last_metrics: dict[str, Any] | None = None
    saved_iteration: int | None = None
    run_id: str | None = field(default_factory=lambda: uuid.uuid4().hex)
    early_stop_epoch: int | None = None

    @classmethod
    def from_meta(cls, run: dict[str, Any], run_id: Any = None) -> RunState:
        """The state stored by :meth:`meta`: ``run`` is ``meta["run"]``, ``run_id`` is
        ``meta.get("run_id")`` (older checkpoints call the score ``best_ap`` and lack the newer
        fields, which then take their defaults; without a ``run_id`` a new one is drawn)."""
        run = dict(run)
        if "best_ap" in run:
            run["best_score"] = run.pop("best_ap")
        known = {f.name for f in dataclasses.fields(cls)} - set(_UNSTORED)
        state = cls(**{k: v for k, v in run.items() if k in known})
        if isinstance(run_id, str) and run_id:
            state.run_id = run_id
        return state

    def meta(self, cat_ids: list[int] | None, **extra: Any) -> dict[str, Any]:
        """The checkpoint's ``meta`` entry (``extra`` adds keys, e.g. ``weights="ema"``)."""
        run = {k: v for k, v in asdict(self).items() if k not in _UNSTORED}
        return {
            "detseg_version": detseg.__version__,
            "epoch": self.epoch,
            "iteration": self.iteration,
            "metrics": self.last_metrics or {},
            "time": time.time(),
            "cat_ids": cat_ids,
            "run": run,
            "run_id": self.run_id,
            **extra,
        }

    def record_score(self, score: float | None, epoch: int) -> bool:
        """Count an evaluation; ``True`` for the run's first evaluation (whatever it scores)
        and for a ``score`` above the best so far (nan is below every number).

        An evaluation that scored nothing (:func:`is_unscored`: -1) is no evaluation without
        improvement for early stopping: a val split without ground truth does not end the run
        after ``train.patience`` evaluations (nan, a model's failure, counts).
        """
        if score is None:
            return False
        if self.best_epoch is None or _beats(score, self.best_score):
            self.best_score, self.best_epoch, self.evals_since_best = score, epoch, 0
            return True
        if not is_unscored(score):
            self.evals_since_best += 1
        return False

    def take_best_of(self, best: RunState) -> bool:
        """Go on with the best score of ``best`` (the state in the run's ``best.pt``) when it
        beats this one's (nan below every number): a run resumed from an older ``last.<k>.pt``
        than the one that recorded ``best.pt``. Its evaluations without improvement count from
        that best again. Returns whether it was taken."""
        if best.best_epoch is None or not (
            self.best_epoch is None or _beats(best.best_score, self.best_score)
        ):
            return False
        self.best_score, self.best_epoch, self.evals_since_best = (
            best.best_score,
            best.best_epoch,
            0,
        )
        return True

    def should_stop_early(self, patience: int | None) -> bool:
        """``True`` after ``patience`` evaluations in a row without improvement."""
        return patience is not None and self.evals_since_best >= patience


def is_unscored(score: float) -> bool:
    """The validation score says nothing was scored: -1, COCO / VOC AP without a ground-truth
    object."""
    return score == -1


def _beats(score: float, best: float) -> bool:
    """``score > best`` where nan ranks below every number (a nan best is beaten by any
    number; a nan score beats nothing)."""
    if math.isnan(score):
        return False
    return math.isnan(best) or score > best
