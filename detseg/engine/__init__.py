"""Training engine: plain functions, no hooks.

- :mod:`~detseg.engine.trainer`: ``train(cfg, work_dir, resume)``, the recipe behind
  ``tools/train.py`` (one process, or one of ``torchrun``'s), with
  :mod:`~detseg.engine.train_steps` (checkpoints, evaluation, wrap-up),
  :mod:`~detseg.engine.train_data` (datasets and loaders) and
  :mod:`~detseg.engine.run_state` (epoch, position inside it, best score, early stopping).
- :mod:`~detseg.engine.train_loop`: ``train_one_epoch`` (accumulation, non-finite losses),
  ``NonFiniteLossError``; :mod:`~detseg.engine.device`: devices, AMP helpers.
- :mod:`~detseg.engine.distributed`: process group, DDP wrapping, collectives;
  :mod:`~detseg.engine.validation`: sharded validation with the validation loss.
- :mod:`~detseg.engine.evaluate` / :mod:`~detseg.engine.evaluate_segmentation`: COCO mAP of a
  detector, mIoU of a segmenter (``tools/eval.py``).
- :mod:`~detseg.engine.checkpoint`: atomic ``save_checkpoint``, ``load_checkpoint``,
  ``load_model``, rotation and fallback, training-state save/restore for ``--resume``;
  :mod:`~detseg.engine.interrupt`: SIGINT / SIGTERM stop a run cleanly;
  :mod:`~detseg.engine.disk_check`: work-dir checks at start-up.
- :mod:`~detseg.engine.schedules` / :mod:`~detseg.engine.optim`: LR schedules, optimizers,
  parameter groups, the LR scaling rule; :mod:`~detseg.engine.ema`: EMA of the weights.
- :mod:`~detseg.engine.metric_log`, :mod:`~detseg.engine.tensorboard_log`,
  :mod:`~detseg.engine.run_records`, :mod:`~detseg.engine.curves`: ``metrics.jsonl``, the
  progress bar, TensorBoard, ``curves.png``.
- :mod:`~detseg.engine.throughput` / :mod:`~detseg.engine.profiling`: images/s, kernel launches,
  host-device syncs and top ops of a model beside its torchvision twin (``tools/benchmark.py``).
"""
