"""Training engine: plain functions, no hooks.

- :mod:`~detseg.engine.train_loop`: ``train_one_epoch``, AMP helpers, ``NonFiniteLossError``.
- :mod:`~detseg.engine.evaluate`: ``evaluate_detection`` (COCO mAP of a detector).
- :mod:`~detseg.engine.checkpoint`: atomic ``save_checkpoint``, ``load_checkpoint``,
  ``load_model``, training-state save/restore for ``--resume``.
- :mod:`~detseg.engine.schedules` / :mod:`~detseg.engine.optim`: LR schedules, optimizers.
- :mod:`~detseg.engine.metric_log`: the ``metrics.jsonl`` writer and the progress bar.
"""
