"""The epoch loop of a training run: train, evaluate and save, epoch after epoch.

:func:`run_epochs` runs :func:`epoch_loop` and turns a non-finite model into exit code 1;
:func:`epoch_loop` trains each epoch (:func:`~detseg.engine.training.epoch_training.train_epoch`),
writes its ``epoch`` record, evaluates it, saves ``best.pt`` when the score improves and then
``last.pt``, and stops early after ``train.patience`` evaluations without improvement. An epoch
that trained on no image, or a validation that scored none, because every image it read was
unreadable stops the run with one error line before ``best.pt``
(:mod:`~detseg.engine.training.unreadable_images`). Whether anything is left to train
(:func:`finished`, and why not: :func:`nothing_left`) is decided here too, so that a resumed
run closes an interrupted epoch as the uninterrupted run did. The recipe that builds the run and
calls this loop is :mod:`~detseg.engine.training.trainer`.
"""

from __future__ import annotations

import logging
from typing import Any

from detseg.engine.training.epoch_training import epoch_trained, train_epoch
from detseg.engine.training.finite_checks import (
    NonFiniteStateError,
    check_finite,
    save_last_checked,
)
from detseg.engine.training.loop_results import EpochStats
from detseg.engine.training.nonfinite_losses import warn_if_mostly_skipped
from detseg.engine.training.step_profiler import profiled_epoch
from detseg.engine.training.train_steps import (
    evaluate_epoch,
    save_best,
    unscored_note,
    writing_records,
)
from detseg.engine.training.training_run import TrainingRun
from detseg.engine.training.unreadable_images import val_unreadable
from detseg.engine.validation.sharded import NoImageScoredError

logger = logging.getLogger(__name__)


def finished(run: TrainingRun) -> bool:
    """Nothing is left to do: all epochs done, ``train.max_iters`` steps done with their epoch
    closed, or ``train.patience`` evaluations without improvement (an early stop).

    An epoch whose training ended (its batches or ``max_iters`` reached) but that was not
    closed (epoch record, evaluation, ``best.pt``, ``last.pt`` of the next epoch) because a
    signal came during its last step or its evaluation still has ``epoch_batches > 0``: a
    resumed run closes it, as the uninterrupted run did (``epoch_loop`` trains no step then).
    """
    t, state = run.cfg.train, run.state
    if state.epoch >= t.epochs:
        return True
    if t.max_iters is not None and state.iteration >= t.max_iters and state.epoch_batches == 0:
        return True
    return state.should_stop_early(t.patience)


def nothing_left(run: TrainingRun) -> str:
    """Why a (resumed) run trains no step: every limit it has already reached, each of which
    must be raised to train further (``train.max_iters``, ``train.epochs``,
    ``train.patience``), so that raising the keys it names is enough."""
    t, state = run.cfg.train, run.state
    reached: list[str] = []
    keys: list[str] = []
    if t.max_iters is not None and state.iteration >= t.max_iters:
        reached.append(f"iteration {state.iteration} already reaches train.max_iters={t.max_iters}")
        keys.append("train.max_iters")
    if state.epoch >= t.epochs:
        epochs = (
            "1 epoch already reaches" if state.epoch == 1 else f"{state.epoch} epochs already reach"
        )
        reached.append(f"{epochs} train.epochs={t.epochs}")
        keys.append("train.epochs")
    if state.should_stop_early(t.patience):
        if state.early_stop_epoch is not None:
            reached.append(
                f"the run stopped early after {_evaluations(state.evals_since_best)} without "
                f"improvement (train.patience={t.patience})"
            )
        else:  # finished its epochs as its patience ran out, or a lowered train.patience
            reached.append(
                f"the run did not stop early, but its last "
                f"{_evaluations(state.evals_since_best)} (to epoch {state.epoch - 1}) brought no "
                f"improvement, which uses up train.patience={t.patience}"
            )
        keys.append("train.patience")
    return (
        f"nothing to train: {_and(reached)}; raise {_and(keys)} and resume the run to train further"
    )


def _and(items: list[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _evaluations(count: int) -> str:
    """``"1 evaluation"``, ``"3 evaluations"``."""
    return f"{count} evaluation{'' if count == 1 else 's'}"


def run_epochs(run: TrainingRun) -> int:
    """The epoch loop; returns the exit code (0, 1 non-finite loss or weights, 128 + signal)."""
    try:
        return epoch_loop(run)
    except NonFiniteStateError as err:
        if run.dist.is_main:  # every process raised it, with the same message
            logger.error("%s", err)
        with writing_records(run):  # finish_run's collective follows
            run.records.log({"type": "error", "epoch": run.state.epoch, "message": str(err)})
        return 1


def epoch_loop(run: TrainingRun) -> int:
    """Train, evaluate and save epoch after epoch; returns the exit code of :func:`run_epochs`.

    Each epoch gets one ``epoch`` record, written by the invocation that ends its training
    (:func:`close_epoch_training`): a run stopped by a signal during an epoch's last step or
    its evaluation has written it, and its ``--resume`` (which then trains no batch of that
    epoch) only evaluates and saves.

    Raises:
        NonFiniteStateError: the model became non-finite (checked before every save).
        UnreadableImagesError: an epoch trained on no image, or its validation scored none,
            every image read being unreadable (before the epoch's ``best.pt``).
    """
    t, state = run.cfg.train, run.state
    if finished(run) and run.dist.is_main:  # a resumed run that has nothing left to do
        logger.warning("%s", nothing_left(run))
    while not finished(run):
        epoch = state.epoch
        state.early_stop_epoch = None  # training goes on (a resume with a raised patience)
        with profiled_epoch(run.profiler):  # train.profile_steps: collects in the steps only
            stats = train_epoch(run)
        if stats is None:
            return 1
        if stats.interrupted:
            if epoch_trained(run):  # the signal came during the epoch's last step
                close_epoch_training(run, epoch, stats)
            save_last_checked(run)
            return run.stop.exit_code
        if stats.batches > 0:  # else a resumed run whose epoch was trained (and recorded)
            close_epoch_training(run, epoch, stats)
        check_finite(run, "last.pt")  # before the evaluation of a broken model
        done = epoch + 1 >= t.epochs or (t.max_iters is not None and state.iteration >= t.max_iters)
        metrics = None
        if (epoch + 1) % t.eval_every == 0 or done:
            metrics = _evaluate(run)
            if metrics is None:  # interrupted during evaluation: redo it on resume
                save_last_checked(run)
                return run.stop.exit_code
        state.epoch, state.epoch_batches = epoch + 1, 0
        state.last_metrics = metrics
        score = None if metrics is None else metrics[run.score_key]
        note = None if score is None or state.best_epoch is not None else unscored_note(run, score)
        if note is not None and run.dist.is_main:  # the run's first evaluation
            logger.warning("%s", note)
        improved = state.record_score(score, epoch)
        if improved:  # before last.pt records this epoch as the best (the weights are checked)
            save_best(run)
        save_last_checked(run)
        if not done and state.should_stop_early(t.patience):  # else the run simply finished
            logger.info("no improvement for %d evaluations: stopping early", t.patience)
            state.early_stop_epoch = epoch
            with writing_records(run):  # finish_run's collective follows
                run.records.log(
                    {"type": "early_stop", "epoch": epoch, "iteration": state.iteration}
                )
            break
    return 0


def _evaluate(run: TrainingRun) -> dict[str, Any] | None:
    """:func:`evaluate_epoch`; a validation that scored no image because every val image was
    unreadable stops the run (before ``best.pt``), every process alike.

    Raises:
        UnreadableImagesError: :func:`~detseg.engine.training.unreadable_images.val_unreadable`.
    """
    try:
        return evaluate_epoch(run)
    except NoImageScoredError as err:
        raise val_unreadable(run, err) from err


def close_epoch_training(run: TrainingRun, epoch: int, stats: EpochStats) -> None:
    """The ``epoch`` record of an epoch whose training is over (and rank 0's warning when
    more than half of its steps were skipped,
    :func:`~detseg.engine.training.nonfinite_losses.warn_if_mostly_skipped`); a failed write fails
    every process (:func:`writing_records`: the finiteness check or ``last.pt``, collectives,
    follow)."""
    with writing_records(run):
        run.records.log(epoch_record(epoch, run.state.iteration, stats))
    if run.dist.is_main:  # every process skips the same steps
        warn_if_mostly_skipped(epoch, stats)


def epoch_record(epoch: int, iteration: int, stats: EpochStats) -> dict[str, Any]:
    """The ``{"type": "epoch"}`` record of metrics.jsonl: counts, mean losses and the share
    of time spent waiting for data of an epoch."""
    return {
        "type": "epoch",
        "epoch": epoch,
        "iteration": iteration,
        "seconds": stats.seconds,
        "skipped_images": stats.skipped_images,
        "left_out_images": stats.left_out_images,
        "dropped_boxes": stats.dropped_boxes,
        "skipped_steps": stats.skipped_steps,
        "data_wait": round(stats.data_wait, 4),
        **stats.losses,
    }
