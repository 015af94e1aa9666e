"""The end-of-run summary: the lines ``detseg-train`` prints after training, for any caller of
:func:`~detseg.engine.train` that wants the same account (a notebook, a sweep script)."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from detseg.engine.training.nonfinite_losses import skipped_steps_summary
from detseg.engine.validation import COCO_KEYS, SEG_KEYS, SEGM_KEYS
from detseg.shell_words import shell_word

if TYPE_CHECKING:
    from detseg.engine.training.trainer import TrainResult

# The files of a run folder the summary lists, in this order, where they exist.
RUN_OUTPUTS = ("config.yaml", "metrics.jsonl", "tb", "last.pt", "best.pt", "curves.png", "profile")


def summary_lines(result: TrainResult) -> list[str]:
    """What the run did, one line each: its time, the best and last validation numbers, an early
    stop, the skipped images and steps, how to resume an interrupted run, and its outputs.

    Example (a detector)::

        Training finished in 582.0 s (6000 iterations this run).
        Best validation AP 0.6120 at epoch 20.
        Last evaluation: AP 0.612  AP50 0.786  ...
        Skipped images: train 0, val 0 (unreadable); dropped train boxes: 0 (images and ...
        Outputs in runs/demo/: config.yaml, metrics.jsonl, tb, last.pt, best.pt, curves.png

    (the skipped-images line ends ``(images and boxes counted each time read).``)
    """
    run, totals = result.run, result.totals
    ended = "finished in" if result.exit_code == 0 else "stopped after"  # a signal, a NaN
    iterations = totals["iterations"]
    lines = [
        f"Training {ended} {result.seconds:.1f} s ({iterations} "
        f"iteration{'' if iterations == 1 else 's'} this run)."
    ]
    if run.best_epoch is not None:
        lines.append(
            f"Best validation {result.score_key} {run.best_score:.4f} at epoch {run.best_epoch}."
        )
    if run.early_stop_epoch is not None:
        evaluations = "evaluation" if run.evals_since_best == 1 else "evaluations"
        lines.append(
            f"Stopped early after epoch {run.early_stop_epoch} (train.patience): no improvement "
            f"in the {run.evals_since_best} {evaluations} since the best {result.score_key} at "
            f"epoch {run.best_epoch}."
        )
    lines += _last_evaluation_lines(result)
    lines.append(skipped_images_line(result))
    skipped_steps = skipped_steps_summary(run.skipped_steps, run.iteration)
    if skipped_steps is not None:
        lines.append(skipped_steps)
    if result.exit_code > 128:
        lines.append(resume_line(result))
    elif result.late_signal is not None:
        lines.append(late_signal_line(result.late_signal))
    outputs = ", ".join(name for name in RUN_OUTPUTS if (result.work_dir / name).exists())
    lines.append(f"Outputs in {result.work_dir}/: {outputs}")
    return lines


def resume_line(result: TrainResult) -> str:
    """How to go on with an interrupted run: its own ``config.yaml`` (the config with every
    ``--set`` applied, and the run's folder as ``work_dir``) and ``--resume``, in as many
    processes as trained; the path quoted where a shell would split it."""
    config = shell_word(result.work_dir / "config.yaml")
    if result.world_size > 1:
        processes = result.world_size
        return (
            f"Interrupted: resume with detseg-train {config} --resume --nproc {processes} "
            f"(tools/train.py; or the same torchrun command of {processes} processes with these "
            "arguments)"
        )
    return f"Interrupted: resume with detseg-train {config} --resume (tools/train.py)"


def late_signal_line(signum: int) -> str:
    """The account of a stop signal that came after the run's last step and evaluation (while
    it wrote ``best.pt``, ``last.pt`` or ``curves.png``): the run finished its work, so that
    nothing is left to resume (a signal during a step or an evaluation stops the run)."""
    name = signal.Signals(signum).name
    return f"{name} came after the last step and evaluation: the run finished (nothing to resume)."


def _last_evaluation_lines(result: TrainResult) -> list[str]:
    """The last validation's numbers: the run's score key first where the task's usual keys
    lack it (``voc_mAP`` picks ``best.pt`` under a VOC ``eval.metric``), and a mask model's
    mask AP on a line of its own."""
    metrics = result.run.last_metrics
    if not metrics:
        return []
    keys = SEG_KEYS if result.task == "segmentation" else COCO_KEYS
    if result.score_key not in keys:
        keys = (result.score_key, *keys)
    numbers = "  ".join(_number(k, metrics[k]) for k in keys if k in metrics)
    lines = [f"Last evaluation: {numbers}"]
    if all(k in metrics for k in SEGM_KEYS):
        lines.append(
            "Last mask evaluation: " + "  ".join(_number(k, metrics[k]) for k in SEGM_KEYS)
        )
    return lines


def _number(key: str, value: float) -> str:
    """``"AP 0.612"``; ``"APl n/a"`` for COCO's -1 (no ground truth in that area range) and for
    nan (a segmentation mean over no class), as ``detseg-eval`` prints them."""
    return f"{key} {value:.3f}" if value >= 0 else f"{key} n/a"


def skipped_images_line(result: TrainResult) -> str:
    """The count of unreadable images, the train and val splits' apart, and of the train boxes
    the loader dropped (a detector's; a segmenter's label maps have no boxes). Each read counts,
    and the line says so of every count: an unreadable train image, and each dropped box of a
    train image, once per epoch; an unreadable val image once per validation (the ``epoch``
    records of ``metrics.jsonl`` hold one epoch's reads)."""
    totals = result.totals
    line = (
        f"Skipped images: train {totals['skipped_images']}, val "
        f"{totals.get('val_skipped_images', 0)} (unreadable"
    )
    left_out = totals.get("left_out_images", 0)
    if left_out:  # a distributed step is taken by all processes or none
        line += (
            f"; and {left_out} readable train image{'' if left_out == 1 else 's'} left out "
            "with the steps another process's unreadable batch dropped"
        )
    if result.task == "segmentation":
        return f"{line}, counted each time read)."
    return (
        f"{line}); dropped train boxes: {totals['dropped_boxes']} "
        "(images and boxes counted each time read)."
    )
