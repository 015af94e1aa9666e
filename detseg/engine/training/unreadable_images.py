"""A training run that can read none of its images stops: :class:`UnreadableImagesError`.

A run skips and counts unreadable images (an empty or corrupt file: the loader leaves it out of
its batch; a batch left without images is left out of its accumulation group on every process)
and goes on as long as it trains on something. Two cases leave it nothing, and each stops the
run with one error line instead of a run that looks like a success:

- an epoch that took no optimizer step because every batch it read was left out for unreadable
  images (:func:`check_epoch_trained`, from the counts summed over the processes, so that every
  process of a distributed run raises alike). The run stops before the epoch's record, its
  evaluation, ``best.pt`` and ``last.pt``; the checkpoints of earlier epochs stay as they are.
- a validation that scored no image because every val image was unreadable
  (:class:`~detseg.engine.validation.sharded.NoImageScoredError`, raised by every process;
  :func:`val_unreadable`). Its metric (mIoU nan, AP 0) would pick ``best.pt``; the run stops
  before the epoch's ``best.pt`` and ``last.pt``.

The line (``tools/train.py`` prints it as ``train: error: ...``, exit code 2, no traceback)
names the count of skipped images, the image folder and the annotation file of the split where
its dataset has them, and ``tools/check_data.py WORK_DIR/config.yaml``, which lists the
unreadable files. The run's ``metrics.jsonl`` gets an ``error`` record with the same message.
An epoch or a validation where only some images are unreadable goes on as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detseg.engine.training.loop_results import EpochStats
from detseg.engine.training.train_steps import writing_records
from detseg.engine.training.training_run import TrainingRun
from detseg.engine.validation.sharded import NoImageScoredError


class UnreadableImagesError(ValueError):
    """An epoch trained on no image, or a validation scored none, because every image it read
    was unreadable (a user error: one line, exit code 2)."""


def split_files(dataset: Any) -> str:
    """Where a split's images come from, for messages: ``"images in <folder>"`` (its
    ``images_dir``, else the folder of its first image) and ``"listed in <file>"`` (its
    ``ann_file``, where it has one); ``""`` when the dataset tells neither."""
    dataset = getattr(dataset, "dataset", dataset)  # the split under an eval.max_images head
    images_dir = getattr(dataset, "images_dir", None)
    if images_dir is None and hasattr(dataset, "image_path"):
        images_dir = _first_image_folder(dataset)
    parts = [] if images_dir is None else [f"images in {images_dir}"]
    ann_file = getattr(dataset, "ann_file", None)
    if ann_file is not None:
        parts.append(f"listed in {ann_file}")
    return ", ".join(parts)


def _first_image_folder(dataset: Any) -> Path | None:
    """The folder of ``dataset.image_path(0)`` (a ``Path`` or a ``str``); ``None`` where the
    dataset cannot tell: no item, no length, or an ``image_path`` that raises (the folder is a
    courtesy of the message, which must not fail)."""
    try:
        return Path(dataset.image_path(0)).parent if len(dataset) > 0 else None
    except Exception:  # noqa: BLE001
        return None


def _what_to_do(run: TrainingRun) -> str:
    return (
        f"check the files: detseg-check-data {run.work_dir / 'config.yaml'} (tools/check_data.py) "
        "lists the unreadable images"
    )


def _skipped(count: int, files: str) -> str:
    """``"(4 images skipped; images in <folder>, listed in <file>)"``."""
    where = f"; {files}" if files else ""
    return f"({count} image{'' if count == 1 else 's'} skipped{where})"


def _stop(run: TrainingRun, message: str) -> UnreadableImagesError:
    """The error to raise, its ``error`` record written first (every process: a collective)."""
    with writing_records(run):
        run.records.log({"type": "error", "epoch": run.state.epoch, "message": message})
    return UnreadableImagesError(message)


def check_epoch_trained(run: TrainingRun, stats: EpochStats, start_batch: int) -> None:
    """Stop the run when the epoch ``stats`` describes (counts summed over the processes) read
    batches from its start but took no step, every batch left out for unreadable images.

    Args:
        run: the run (its train split, work dir and records).
        stats: what the call of the training loop did, counts summed over the processes.
        start_batch: the epoch's batches consumed before the call (a resumed epoch whose
            earlier batches trained is not judged by its rest).

    Raises:
        UnreadableImagesError: on every process alike.
    """
    if start_batch > 0 or stats.batches == 0 or stats.iterations > 0:
        return
    if stats.skipped_images == 0:
        return
    left_out = stats.left_out_images
    beside = (  # a distributed step is taken by all processes or none
        f", and {left_out} readable image{'' if left_out == 1 else 's'} with them, as one "
        "process's batch left out leaves the step out on every process"
        if left_out
        else ""
    )
    message = (
        f"epoch {run.state.epoch} took no training step: every batch it read was left out for "
        f"unreadable images {_skipped(stats.skipped_images, split_files(run.data.train_set))}"
        f"{beside}; {_what_to_do(run)}"
    )
    raise _stop(run, message)


def val_unreadable(run: TrainingRun, err: NoImageScoredError) -> UnreadableImagesError:
    """The error that stops a run whose validation scored no image (``err``, raised by every
    process), naming the val split's files; its ``error`` record is written."""
    message = (
        f"validation after epoch {run.state.epoch} scored no image: every val image it read "
        f"was unreadable {_skipped(err.skipped, split_files(run.data.val_set))}, so its metric "
        f"cannot pick best.pt; {_what_to_do(run)}"
    )
    return _stop(run, message)
