"""COCO evaluation report of a checkpoint on its val split, or of a predictions file.

A segmentation checkpoint is scored by mIoU instead (see the end of this text).

    python tools/eval.py runs/demo/best.pt
    python tools/eval.py runs/demo/best.pt --set data.root=/data/shapes eval.backend=pycocotools
    python tools/eval.py --gt datasets/shapes/annotations/instances_val.json \\
        --pred runs/infer/predictions.json --images datasets/shapes/val/images --out runs/eval

Both forms print the 12 COCO numbers and the per-class AP and write the report of
``detseg.evaluation.write_detection_report`` into ``OUT``: ``metrics.json`` (the 12
numbers, ``per_class`` AP/AP50/AR100, the confusion matrix and run facts), PR curves
(``pr_curve_iou50.png``, ``pr_curve_iou75.png``, ``pr_per_class.png``),
``confusion_matrix.png`` and ``report.html`` (self-contained, with a gallery of the
worst images). The checkpoint form also writes ``OUT/detections.json`` (COCO results);
the checkpoint holds everything it needs: model settings, classes and data config.

Model-free form: ``--pred`` is a list in the COCO results format. A record that has a
``file_name`` (as ``tools/infer.py`` writes, whose ``image_id`` is only the position of
the image in its input list) is matched to the ground-truth image whose
``images[].file_name`` is a trailing part of it (``/data/val/images/0001.png`` matches
``0001.png`` or ``images/0001.png``; the longest match wins) and gets that image's id;
records naming no ground-truth image are dropped with a warning. A record without
``file_name`` keeps its ``image_id``. infer.py keeps only detections at or above its
``--score-thr``: run it with ``--score-thr 0.001`` for an AP comparable to the checkpoint form.

Segmentation checkpoint (``python tools/eval.py runs/unet_shapes/best.pt``): the val split's
label maps are compared pixel by pixel with the predictions in one confusion matrix (void
pixels, 255, are ignored). It prints mIoU, pixel accuracy, mean class accuracy, fwIoU and the
IoU of each class (background included), names the classes absent from both the ground truth
and the predictions (IoU nan, left out of the means), and writes ``OUT/metrics.json``.
The config's ``eval.tta``, ``eval.tta_scales`` and ``eval.crf`` say how the label maps are
made (flipped / rotated views, image scales, a CRF on colour edges; see
``detseg.segmentation.inference``); ``--set eval.tta=none eval.tta_scales=[1.0]
eval.crf.iterations=0`` gives the plain one-pass prediction.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from detseg.config import ConfigError, config_from_dict
from detseg.data.loader import build_loader
from detseg.data.registry import build_dataset
from detseg.data.seg_loader import build_segmentation_loader
from detseg.engine.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from detseg.engine.evaluate import COCO_KEYS, DatasetHead, coco_ground_truth, predict_batches
from detseg.engine.evaluate_segmentation import (
    evaluate_segmentation,
    segmentation_table,
    write_segmentation_metrics,
)
from detseg.engine.train_loop import resolve_device
from detseg.evaluation.coco_format import predictions_to_coco_results
from detseg.evaluation.file_names import match_file_names
from detseg.evaluation.report import write_detection_report
from detseg.evaluation.table import coco_table
from detseg.segmentation.inference import SegmentationInference

logger = logging.getLogger("eval")

BACKENDS = ("faster", "pycocotools")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="COCO bbox evaluation report (metrics.json, PR curves, confusion matrix, "
        "report.html) of a detseg checkpoint on its validation split, or of a predictions "
        "file against a COCO ground truth (give CHECKPOINT, or --gt and --pred).",
        epilog="--pred records with a file_name (tools/infer.py's predictions.json) take the id "
        "of the gt image whose images[].file_name ends their path (their own image_id is "
        "ignored); records naming no gt image are dropped with a warning. infer.py keeps only "
        "detections >= its --score-thr: use --score-thr 0.001 there for a comparable AP.",
    )
    parser.add_argument(
        "checkpoint",
        type=Path,
        nargs="?",
        default=None,
        help="a best.pt / last.pt written by train.py (leave out for the --gt/--pred form)",
    )
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="checkpoint form: override keys of the checkpoint's config, e.g. data.root=... "
        "data.val_ann=... eval.max_images=100 eval.backend=pycocotools device=cpu "
        "model.roi_heads.score_thresh=0.001; segmentation: eval.tta=dihedral (or hflip, "
        "flips, none) averages the probabilities over flipped/rotated views, "
        "eval.tta_scales=[1.0,1.25] also over resized images, eval.crf.iterations=5 "
        "(0: off) refines them with a CRF on colour edges",
    )
    _add_model_free_args(parser.add_argument_group("model-free form (instead of CHECKPOINT)"))
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="COCOeval implementation (default: the config's eval.backend for a checkpoint, "
        "else faster); both give the pycocotools numbers",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: the folder of CHECKPOINT or of --pred, plus /eval)",
    )
    parser.add_argument(
        "--worst-k", type=int, default=8, help="worst images shown in report.html (default: 8)"
    )
    parser.add_argument(
        "--score-thr",
        type=float,
        default=0.3,
        help="detections below it are left out of the confusion matrix and the gallery; "
        "COCO AP uses them all (default: 0.3)",
    )
    args = parser.parse_args(argv)
    problem = _form_problem(args)
    if problem:
        parser.error(problem)
    return args


def _add_model_free_args(form: Any) -> None:
    """Adds --gt, --pred, --images and --iou-type to an argparse group."""
    form.add_argument("--gt", type=Path, help="COCO ground-truth json (images, annotations, ...)")
    form.add_argument(
        "--pred",
        type=Path,
        help="detections json: COCO results, e.g. predictions.json of tools/infer.py "
        "(file_name matching: see below)",
    )
    form.add_argument(
        "--images",
        type=Path,
        help="folder the gt's images[].file_name are relative to; draws the worst images in "
        "report.html (without it they are listed without pictures)",
    )
    form.add_argument(
        "--iou-type",
        choices=("bbox",),
        default="bbox",
        help="what is compared: bbox (the only type the report supports)",
    )


def _form_problem(args: argparse.Namespace) -> str | None:
    """Why the arguments name no single valid form, or ``None`` when they do."""
    files = args.gt is not None or args.pred is not None
    if args.checkpoint is not None and files:
        return "give either CHECKPOINT or --gt and --pred, not both"
    if args.checkpoint is None and not files:
        return "give a CHECKPOINT, or --gt ANN.json and --pred PREDICTIONS.json (model-free form)"
    if files and (args.gt is None or args.pred is None):
        return "--gt and --pred go together: give both (ground truth and detections json)"
    if args.checkpoint is not None and args.images is not None:
        return "--images is for the --gt/--pred form; a checkpoint uses its val split's images"
    if args.checkpoint is None and args.set:
        return "--set overrides a checkpoint's config; it has no use with --gt/--pred"
    if args.worst_k < 0:
        return f"--worst-k must be >= 0, got {args.worst_k}"
    if not 0.0 <= args.score_thr <= 1.0:
        return f"--score-thr must lie in [0, 1], got {args.score_thr}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.checkpoint is not None:
        return evaluate_checkpoint(args)
    return evaluate_files(args)


def evaluate_checkpoint(args: argparse.Namespace) -> int:
    """The checkpoint form: predict on the val split, then write the report."""
    state = load_checkpoint(args.checkpoint)
    overrides = [*args.set, *([f"eval.backend={args.backend}"] if args.backend else [])]
    cfg = config_from_dict(state["config"], source=str(args.checkpoint), overrides=overrides)
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
    if getattr(model, "task", "detection") == "segmentation":
        return evaluate_segmenter(args, cfg, model, val_set, classes, device)
    gt = coco_ground_truth(val_set)
    loader = build_loader(val_set, cfg.eval.batch_size, False, cfg.train.num_workers)
    image_ids, predictions = predict_batches(model, loader, device, cfg.train.amp)
    detections = predictions_to_coco_results(image_ids, predictions, gt.cat_ids)

    out = args.out or args.checkpoint.parent / "eval"
    gt_named, images_dir = gallery_sources(val_set, gt.gt)
    info = {
        "checkpoint": str(args.checkpoint),
        "model": cfg.model.name,
        "dataset": f"{cfg.data.format} at {cfg.data.root} (val split)",
        "images": len(val_set),
        "backend": cfg.eval.backend,
    }
    heading = f"COCO bbox evaluation of {args.checkpoint} on {len(val_set)} images"
    write_report(args, out, heading, gt_named, detections, images_dir, info, cfg.eval.backend)
    (out / "detections.json").write_text(json.dumps(detections))
    print(f"Wrote {out / 'detections.json'}")
    return 0


def evaluate_segmenter(
    args: argparse.Namespace, cfg: Any, model: Any, val_set: Any, classes: list[str], device: Any
) -> int:
    """The checkpoint form for a segmenter: mIoU table on stdout, ``OUT/metrics.json``."""
    loader = build_segmentation_loader(val_set, cfg.eval.batch_size, False, cfg.train.num_workers)
    inference = SegmentationInference.from_config(cfg.eval)
    metrics = evaluate_segmentation(
        model, loader, device, len(classes) + 1, cfg.train.amp, inference=inference
    )
    info = {
        "checkpoint": str(args.checkpoint),
        "model": cfg.model.name,
        "dataset": f"{cfg.data.format} at {cfg.data.root} (val split)",
        "images": metrics["images"],
        "tta": cfg.eval.tta,
        "tta_scales": cfg.eval.tta_scales,
        "crf": dataclasses.asdict(cfg.eval.crf),
        "inference": inference.describe(),
    }
    out = args.out or args.checkpoint.parent / "eval"
    path = write_segmentation_metrics(out, metrics, classes, info)
    print(f"Segmentation evaluation of {args.checkpoint} on {metrics['images']} images:\n")
    print(segmentation_table(metrics, classes))
    print(f"\nWrote {path}")
    return 0


def evaluate_files(args: argparse.Namespace) -> int:
    """The model-free form: score ``--pred`` against ``--gt``, then write the report."""
    gt = _read_json(args.gt, dict, "--gt")
    records = _read_json(args.pred, list, "--pred")
    detections = match_file_names(gt, records)
    if args.images is not None and not args.images.is_dir():
        raise FileNotFoundError(f"--images {args.images} is not a folder")
    out = args.out or args.pred.parent / "eval"
    backend = args.backend or "faster"
    info = {
        "ground truth": str(args.gt),
        "predictions": str(args.pred),
        "images": len(gt.get("images", [])),
        "backend": backend,
    }
    heading = f"COCO {args.iou_type} evaluation of {args.pred} against {args.gt}"
    write_report(args, out, heading, gt, detections, args.images, info, backend)
    return 0


def write_report(
    args: argparse.Namespace,
    out: Path,
    heading: str,
    gt: dict,
    detections: list[dict],
    images_dir: Path | None,
    info: dict[str, Any],
    backend: str,
) -> dict[str, Any]:
    """Writes the report (one COCO evaluation), prints its table; returns metrics.json's dict."""
    page = write_detection_report(
        out,
        gt,
        detections,
        images_dir=images_dir,
        title=heading,
        worst_k=args.worst_k,
        score_threshold=args.score_thr,
        backend=backend,
        info=info,
    )
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    print(f"{heading}:\n")
    print(coco_table({k: metrics[k] for k in (*COCO_KEYS, "per_class")}))
    print(f"\nWrote {page} with metrics.json, PR curves and confusion_matrix.png in {out}/")
    return metrics


def gallery_sources(dataset: Any, gt: dict) -> tuple[dict, Path | None]:
    """``gt`` with ``images[].file_name`` relative to the returned folder (for the gallery).

    A COCO dataset keeps its own names and ``images_dir``. Other datasets (VOC,
    YOLO: their gt has no ``file_name``) get their image paths relative to the
    deepest folder holding them all. ``None`` when the dataset cannot name its images.
    """
    base = dataset.dataset if isinstance(dataset, DatasetHead) else dataset
    folder = getattr(base, "images_dir", None)
    if folder is not None and all(img.get("file_name") for img in gt["images"]):
        return gt, Path(folder)
    if not hasattr(base, "image_path") or not gt["images"]:
        return gt, None
    paths = {int(i): Path(base.image_path(k)).resolve() for k, i in enumerate(dataset.image_ids)}
    common = Path(os.path.commonpath([str(p.parent) for p in paths.values()]))
    images = [
        {**img, "file_name": str(paths[int(img["id"])].relative_to(common))}
        if int(img["id"]) in paths
        else img
        for img in gt["images"]
    ]
    return {**gt, "images": images}, common


def _read_json(path: Path, kind: type, flag: str) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"{flag} {path} is not a file")
    with open(path, encoding="utf-8") as f:
        value = json.load(f)
    if not isinstance(value, kind):
        raise ValueError(f"{flag} {path} must hold a json {kind.__name__}")
    return value


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        sys.exit(main())
    except (ConfigError, CheckpointError, FileNotFoundError, ValueError) as error:
        logging.getLogger("eval").error("%s", error)
        sys.exit(2)
