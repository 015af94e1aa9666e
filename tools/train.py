"""Train a detector or a semantic segmenter from a YAML config.

    python tools/train.py configs/demo.yaml --set data.root=datasets/shapes
    python tools/train.py configs/demo.yaml --work-dir runs/demo --resume
    python tools/train.py configs/segmentation/unet_shapes.yaml

The recipe, top to bottom: config -> seed -> task (a segmentation ``data.format``
such as ``shapes_seg`` or ``voc_seg`` means segmentation) -> datasets -> model ->
optimizer and schedule -> (resume) -> for each epoch: train, evaluate (COCO AP for
a detector, mIoU for a segmenter), save ``last.pt`` (and ``best.pt`` when that
score improves) -> summary. Everything lands in
the work dir: ``config.yaml`` (the resolved config), ``metrics.jsonl`` (one JSON
record per log step and per evaluation), ``last.pt`` and ``best.pt``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from torch.utils.data import DataLoader
from tqdm.contrib.logging import logging_redirect_tqdm

import detseg
from detseg.config import Config, ConfigError, load_config
from detseg.data.loader import build_loader
from detseg.data.registry import SEG_DATASETS, build_dataset
from detseg.data.seg_loader import build_segmentation_loader
from detseg.data.seg_transforms import build_segmentation_augmentations
from detseg.data.transforms import build_augmentations
from detseg.engine.checkpoint import (
    CheckpointError,
    load_checkpoint,
    restore_training_state,
    save_checkpoint,
    seed_everything,
    training_state,
)
from detseg.engine.evaluate import (
    COCO_KEYS,
    CocoGroundTruth,
    DatasetHead,
    coco_ground_truth,
    evaluate_detection,
)
from detseg.engine.evaluate_segmentation import SEG_KEYS, evaluate_segmentation
from detseg.engine.metric_log import MetricLogger
from detseg.engine.optim import build_optimizer
from detseg.engine.schedules import scheduler_from_config
from detseg.engine.train_loop import (
    NonFiniteLossError,
    build_grad_scaler,
    resolve_device,
    train_one_epoch,
)
from detseg.models import build_model

logger = logging.getLogger("train")

#: The validation number that picks best.pt, per task.
SCORE_KEY = {"detection": "AP", "segmentation": "mIoU"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train a detector or a segmenter; see configs/_base_/*.yaml for every "
        "config key.",
    )
    parser.add_argument("config", type=Path, help="experiment YAML, e.g. configs/demo.yaml")
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="override config keys, parsed by the key's type, e.g. --set train.epochs=2 "
        "train.max_iters=null data.root=datasets/shapes device=cpu model.min_size=256",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="output folder (default: the config's work_dir, else runs/<config file stem>)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from WORK_DIR/last.pt: weights, optimizer, schedule, epoch, RNG states",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.set)
    work_dir = args.work_dir or Path(cfg.work_dir or Path("runs") / args.config.stem)
    cfg.work_dir = str(work_dir)
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    logger.info("config %s -> work dir %s, device %s", args.config, work_dir, device)

    task = "segmentation" if cfg.data.format in SEG_DATASETS else "detection"
    data = build_data(cfg, task)
    classes = list(data.train_set.classes)  # num_classes comes from the dataset, never typed
    model = build_model(cfg.model.to_dict(), num_classes=len(classes)).to(device)
    check_task(model, task, cfg)
    score_key = SCORE_KEY[task]
    t = cfg.train
    optimizer = build_optimizer(model, t.optimizer, t.lr, t.momentum, t.weight_decay)
    scheduler = scheduler_from_config(optimizer, t, iters_per_epoch=len(data.train_loader))
    scaler = build_grad_scaler(device, t.amp)

    run = RunState()
    if args.resume:
        state = load_checkpoint(work_dir / "last.pt")
        model.load_state_dict(state["model"])
        restore_training_state(state, optimizer, scheduler, scaler, data.train_loader.generator)
        run = RunState.from_meta(state["meta"]["run"])
        logger.info("resumed from %s: epoch %d, iteration %d", work_dir, run.epoch, run.iteration)

    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    checkpoint = {"config": cfg.to_dict(), "classes": classes}
    start_time, totals = time.time(), {"iterations": 0, "skipped_images": 0, "dropped_boxes": 0}
    with MetricLogger(work_dir / "metrics.jsonl") as metric_log:
        while run.epoch < t.epochs and (t.max_iters is None or run.iteration < t.max_iters):
            epoch = run.epoch
            try:
                stats = train_one_epoch(
                    model, data.train_loader, optimizer, scheduler, device, epoch,
                    start_iteration=run.iteration, amp=t.amp, scaler=scaler,
                    max_iters=None if t.max_iters is None else t.max_iters - run.iteration,
                    grad_clip=t.grad_clip, log_every=t.log_every, metric_log=metric_log,
                )  # fmt: skip
            except NonFiniteLossError as err:  # last.pt / best.pt keep the last good state
                logger.error("%s", err)
                metric_log.log({"type": "error", "epoch": epoch, "message": str(err)})
                return 1
            run.epoch, run.iteration = epoch + 1, run.iteration + stats.iterations
            for key in totals:
                totals[key] += getattr(stats, key)
            metric_log.log({"type": "epoch", "epoch": epoch, "iteration": run.iteration,
                            "seconds": stats.seconds, "skipped_images": stats.skipped_images,
                            "dropped_boxes": stats.dropped_boxes, **stats.losses})  # fmt: skip
            finished = run.epoch == t.epochs or run.iteration == t.max_iters
            run.last_metrics = None
            if run.epoch % t.eval_every == 0 or finished:
                run.last_metrics = validate(model, data, device, cfg, task)
                metric_log.log({"type": "val", "epoch": epoch, "iteration": run.iteration,
                                **run.last_metrics})  # fmt: skip
            score = run.last_metrics[score_key] if run.last_metrics is not None else None
            improved = score is not None and score > run.best_score  # nan never improves
            if improved:
                run.best_score, run.best_epoch = score, epoch
            state = {**checkpoint, "model": model.state_dict(), "meta": run.meta(data.cat_ids)}
            resumable = training_state(optimizer, scheduler, scaler, data.train_loader.generator)
            save_checkpoint(work_dir / "last.pt", {**state, **resumable})
            if improved:
                save_checkpoint(work_dir / "best.pt", state)
                logger.info("epoch %d: new best %s %.4f -> best.pt", epoch, score_key, score)
    print_summary(work_dir, time.time() - start_time, totals, run, task)
    return 0


def check_task(model: Any, task: str, cfg: Config) -> None:
    """The model must solve the task of the data (a detector on masks cannot train)."""
    model_task = getattr(model, "task", "detection")
    if model_task != task:
        raise ConfigError(
            f"model.name {cfg.model.name!r} is a {model_task} model but data.format "
            f"{cfg.data.format!r} is a {task} dataset; segmentation formats are "
            f"{', '.join(SEG_DATASETS)}"
        )


def validate(model: Any, data: TrainData, device: Any, cfg: Config, task: str) -> dict[str, Any]:
    """COCO bbox metrics of a detector, or mIoU & co of a segmenter, on the val split."""
    if task == "segmentation":
        num_classes = len(data.train_set.classes) + 1  # + background
        return evaluate_segmentation(model, data.val_loader, device, num_classes, cfg.train.amp)
    metrics, _ = evaluate_detection(
        model, data.val_loader, device, data.val_gt.gt, data.cat_ids, cfg.eval.backend,
        cfg.train.amp,
    )  # fmt: skip
    return metrics


@dataclass
class RunState:
    """Where training stands; stored in each checkpoint's ``meta["run"]`` for ``--resume``."""

    epoch: int = 0  # next epoch to run
    iteration: int = 0  # optimizer steps done
    best_score: float = -1.0  # best validation AP (detection) or mIoU (segmentation)
    best_epoch: int | None = None
    last_metrics: dict[str, Any] | None = None

    @classmethod
    def from_meta(cls, run: dict[str, Any]) -> RunState:
        """The state stored by :meth:`meta` (older checkpoints call the score ``best_ap``)."""
        run = dict(run)
        if "best_ap" in run:
            run["best_score"] = run.pop("best_ap")
        return cls(**run)

    def meta(self, cat_ids: list[int] | None) -> dict[str, Any]:
        """The checkpoint's ``meta`` entry."""
        run = {k: v for k, v in asdict(self).items() if k != "last_metrics"}
        return {
            "detseg_version": detseg.__version__,
            "epoch": self.epoch,
            "iteration": self.iteration,
            "metrics": self.last_metrics or {},
            "time": time.time(),
            "cat_ids": cat_ids,
            "run": run,
        }


@dataclass
class TrainData:
    train_set: Any
    val_set: Any
    val_gt: CocoGroundTruth | None  # detection only
    train_loader: DataLoader
    val_loader: DataLoader

    @property
    def cat_ids(self) -> list[int] | None:
        return None if self.val_gt is None else self.val_gt.cat_ids


def build_data(cfg: Config, task: str) -> TrainData:
    """The train split with augmentations, the val split as stored (first eval.max_images).

    Segmentation batches stack images, so its train augmentations should end in a fixed-size
    crop (smaller images are padded; the padding is ignored by the loss and by mIoU).
    """
    seg = task == "segmentation"
    make_augmentations = build_segmentation_augmentations if seg else build_augmentations
    make_loader = build_segmentation_loader if seg else build_loader
    data_cfg = cfg.data.dataset_kwargs()
    augmentations = make_augmentations(cfg.data.augmentations, seed=cfg.seed)
    train_set = build_dataset(data_cfg, "train", augmentations)
    val_set = build_dataset(data_cfg, "val")
    if list(val_set.classes) != list(train_set.classes):
        raise ValueError(f"val classes {val_set.classes} differ from train {train_set.classes}")
    if cfg.eval.max_images is not None:
        val_set = DatasetHead(val_set, cfg.eval.max_images)
    t = cfg.train
    train_loader = make_loader(train_set, t.batch_size, True, t.num_workers, seed=cfg.seed)
    val_loader = make_loader(val_set, cfg.eval.batch_size, False, t.num_workers)
    logger.info(
        "%d train / %d val images, classes %s", len(train_set), len(val_set), train_set.classes
    )
    val_gt = None if seg else coco_ground_truth(val_set)
    return TrainData(train_set, val_set, val_gt, train_loader, val_loader)


def print_summary(
    work_dir: Path, seconds: float, totals: dict[str, int], run: RunState, task: str
) -> None:
    print(f"\nTraining finished in {seconds:.1f} s ({totals['iterations']} iterations this run).")
    if run.best_epoch is not None:
        print(f"Best validation {SCORE_KEY[task]} {run.best_score:.4f} at epoch {run.best_epoch}.")
    if run.last_metrics:
        keys = SEG_KEYS if task == "segmentation" else COCO_KEYS
        numbers = "  ".join(f"{k} {run.last_metrics[k]:.3f}" for k in keys)
        print(f"Last evaluation: {numbers}")
    print(f"Skipped images: {totals['skipped_images']}, dropped boxes: {totals['dropped_boxes']}.")
    print(f"Outputs in {work_dir}/: config.yaml, metrics.jsonl, last.pt, best.pt")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with logging_redirect_tqdm():
        try:
            sys.exit(main())
        except (ConfigError, CheckpointError, FileNotFoundError) as error:
            logging.getLogger("train").error("%s", error)
            sys.exit(2)
