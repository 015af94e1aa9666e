"""COCO evaluation of a checkpoint on its config's validation split.

    python tools/eval.py runs/demo/best.pt
    python tools/eval.py runs/demo/best.pt --set data.root=/data/shapes eval.backend=pycocotools

Prints the 12 COCO numbers and the per-class AP, and writes ``OUT/metrics.json``
(those numbers plus ``per_class``) and ``OUT/detections.json`` (COCO results).
The checkpoint holds everything needed: model settings, classes and data config.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from detseg.config import ConfigError, config_from_dict
from detseg.data.loader import build_loader
from detseg.data.registry import build_dataset
from detseg.engine.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from detseg.engine.evaluate import DatasetHead, coco_ground_truth, evaluate_detection
from detseg.engine.train_loop import resolve_device
from detseg.evaluation.table import coco_table

logger = logging.getLogger("eval")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Evaluate a detseg checkpoint (COCO bbox mAP) on its validation split.",
    )
    parser.add_argument("checkpoint", type=Path, help="a best.pt / last.pt written by train.py")
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="override keys of the checkpoint's config, e.g. data.root=... data.val_ann=... "
        "eval.max_images=100 eval.backend=pycocotools device=cpu "
        "model.roi_heads.score_thresh=0.001",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: CHECKPOINT_DIR/eval)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    state = load_checkpoint(args.checkpoint)
    cfg = config_from_dict(state["config"], source=str(args.checkpoint), overrides=args.set)
    device = resolve_device(cfg.device)
    model, _, classes = model_from_checkpoint(
        state, device, cfg.model.to_dict(), source=str(args.checkpoint)
    )

    val_set = build_dataset(cfg.data.dataset_kwargs(), "val")
    if list(val_set.classes) != classes:
        raise ValueError(
            f"the val split's classes {val_set.classes} differ from the checkpoint's {classes}"
        )
    if cfg.eval.max_images is not None:
        val_set = DatasetHead(val_set, cfg.eval.max_images)
    gt = coco_ground_truth(val_set)
    loader = build_loader(val_set, cfg.eval.batch_size, False, cfg.train.num_workers)
    metrics, detections = evaluate_detection(
        model, loader, device, gt.gt, gt.cat_ids, cfg.eval.backend, cfg.train.amp
    )

    print(f"COCO bbox evaluation of {args.checkpoint} on {len(val_set)} images:\n")
    print(coco_table(metrics))
    out = args.out or args.checkpoint.parent / "eval"
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    (out / "detections.json").write_text(json.dumps(detections))
    print(f"\nWrote {out / 'metrics.json'} and {out / 'detections.json'}")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        sys.exit(main())
    except (ConfigError, CheckpointError, FileNotFoundError) as error:
        logging.getLogger("eval").error("%s", error)
        sys.exit(2)
