"""What a run writes down: ``metrics.jsonl``, the progress bar, TensorBoard, ``curves.png``.

- :mod:`~detseg.engine.records.metric_log`: :class:`MetricLogger` (one JSON record a line),
  ``read_metrics``, ``keep_previous_log`` (a new run's fresh log), the ``progress`` bar.
- :mod:`~detseg.engine.records.tensorboard_log`: :class:`TensorBoardLogger`, validation images
  with their predictions drawn.
- :mod:`~detseg.engine.records.run_records`: :class:`RunRecords`, all of a run's records
  (rank 0's files, and per-rank records with ``train.debug_ranks``).
- :mod:`~detseg.engine.records.curves`: ``plot_curves`` draws ``curves.png`` from
  ``metrics.jsonl``.
"""

from detseg.engine.records.curves import plot_curves
from detseg.engine.records.metric_log import (
    MetricLogger,
    keep_previous_log,
    progress,
    read_metrics,
)
from detseg.engine.records.run_records import RunRecords
from detseg.engine.records.tensorboard_log import TensorBoardLogger, prediction_images

__all__ = [
    "MetricLogger",
    "RunRecords",
    "TensorBoardLogger",
    "keep_previous_log",
    "plot_curves",
    "prediction_images",
    "progress",
    "read_metrics",
]
