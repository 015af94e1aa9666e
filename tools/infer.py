"""Run a trained detector or segmenter on images and draw what it finds.

    python tools/infer.py runs/demo/best.pt datasets/shapes/val/images/00000*.png --out out/
    python tools/infer.py runs/demo/best.pt photos/ --score-thr 0.5 --device cpu
    python tools/infer.py runs/unet_shapes/best.pt datasets/shapes/val/images --out seg/

Inputs are image files, folders (their images, sorted) or glob patterns. For each
readable image the script writes ``OUT/<name>`` with boxes, class names and scores
drawn (one colour per class), and ``OUT/predictions.json``: every detection at or
above the score threshold in the COCO results format (``image_id`` is the position
of the image in the input list, from 1; ``category_id`` the dataset's id) plus
``file_name``. A segmentation checkpoint gives ``OUT/<name>``: the image with one
colour per class blended in and a legend (class names and colours) on its right, and
``OUT/labels/<stem>.png``: the predicted label map as an 8-bit PNG (0 background,
``k`` the k-th class of the checkpoint), made as the checkpoint config's ``eval.tta``,
``eval.tta_scales`` and ``eval.crf`` say (``--plain``: one forward pass). An unreadable
input is reported by name, the others are still processed, and the exit code is then 1.
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import torch

from detseg.config import config_from_dict
from detseg.data.image_io import ImageReadError, read_image
from detseg.engine.checkpoint import CheckpointError, load_checkpoint, model_from_checkpoint
from detseg.engine.train_loop import resolve_device
from detseg.evaluation.coco_format import predictions_to_coco_results
from detseg.segmentation.inference import SegmentationInference
from detseg.segmentation.tta import TTA_MODES
from detseg.visualize import (
    draw_detections,
    draw_segmentation,
    save_label_map,
    save_rgb,
    tensor_to_rgb,
)

logger = logging.getLogger("infer")

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Detect objects in (or segment) images with a detseg checkpoint.",
    )
    parser.add_argument("checkpoint", type=Path, help="a best.pt / last.pt written by train.py")
    parser.add_argument("inputs", nargs="+", help="image files, folders or glob patterns")
    parser.add_argument(
        "--out", type=Path, default=Path("runs/infer"), help="output folder (default: runs/infer)"
    )
    parser.add_argument(
        "--score-thr",
        type=float,
        default=None,
        help="keep detections scoring at least this (default: the config's "
        "eval.score_threshold); not used by segmentation",
    )
    parser.add_argument(
        "--tta",
        choices=TTA_MODES,
        default=None,
        help="segmentation: average the class probabilities over flipped/rotated views "
        "(hflip 2, flips 4, dihedral 8 forward passes; default: the config's eval.tta). "
        "The config's eval.tta_scales and eval.crf apply too",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="segmentation: one forward pass per image, no TTA, no extra scale, no CRF, "
        "whatever the config says (fastest)",
    )
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    parser.add_argument(
        "--batch-size", type=int, default=1, help="images per forward pass (default: 1)"
    )
    return parser.parse_args(argv)


def expand_inputs(inputs: list[str]) -> tuple[list[Path], list[str]]:
    """Image paths named by files, folders and globs (in order), and the inputs matching none."""
    paths: list[Path] = []
    missing: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif path.exists():
            found = [path]
        else:
            found = [Path(p) for p in sorted(glob.glob(item)) if Path(p).is_file()]
        if not found:
            missing.append(item)
        paths.extend(found)
    return paths, missing


def read_images(paths: list[Path], failed: list[str]) -> Iterator[tuple[Path, torch.Tensor]]:
    """``(path, image Float[3, H, W])`` for each readable path; others go to ``failed``.

    (A video source would yield ``(frame name, frame)`` pairs in the same way.)
    """
    for path in paths:
        try:
            yield path, read_image(path)
        except ImageReadError as err:
            logger.error("%s", err)
            failed.append(str(path))


def batched(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def output_name(path: Path, used: set[str]) -> str:
    """``path``'s file name (``.png`` for unusual suffixes), made unique within ``used``."""
    suffix = path.suffix.lower() if path.suffix.lower() in IMAGE_SUFFIXES else ".png"
    name, n = f"{path.stem}{suffix}", 1
    while name in used:
        name, n = f"{path.stem}_{n}{suffix}", n + 1
    used.add(name)
    return name


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    device = resolve_device(args.device)
    state = load_checkpoint(args.checkpoint)
    model, config, classes = model_from_checkpoint(state, device, source=str(args.checkpoint))
    paths, failed = expand_inputs(args.inputs)
    for item in failed:
        logger.error("no image found for input %r", item)
    args.out.mkdir(parents=True, exist_ok=True)
    images = batched(read_images(paths, failed), args.batch_size)
    eval_cfg = config_from_dict(config, source=str(args.checkpoint)).eval
    if getattr(model, "task", "detection") == "segmentation":
        inference = SegmentationInference()  # --plain: model.predict
        if not args.plain:
            inference = SegmentationInference.from_config(eval_cfg, tta=args.tta)
        logger.info("segmentation inference: %s", inference.describe())
        segment(model, images, classes, device, args.out, inference)
    else:
        score_thr = eval_cfg.score_threshold if args.score_thr is None else args.score_thr
        cat_ids = state["meta"].get("cat_ids") or list(range(1, len(classes) + 1))
        detect(model, images, classes, cat_ids, score_thr, device, args.out)
    if failed:
        print(f"{len(failed)} input(s) could not be read: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


@torch.no_grad()
def segment(
    model: torch.nn.Module,
    batches: Iterator[list[tuple[Path, torch.Tensor]]],
    classes: list[str],
    device: torch.device,
    out: Path,
    inference: SegmentationInference | None = None,
) -> None:
    """Writes an overlay with a legend and the label-map PNG of each image (``inference``:
    test-time augmentation and CRF; ``None``: ``model.predict``)."""
    inference = inference or SegmentationInference()
    used_names: set[str] = set()
    count = 0
    for batch in batches:
        for path, image in batch:  # one at a time: images may differ in size
            labels = inference(model, image.to(device)[None])[0].cpu()
            name = output_name(path, used_names)
            save_rgb(out / name, draw_segmentation(tensor_to_rgb(image), labels, classes))
            save_label_map(out / "labels" / f"{Path(name).stem}.png", labels)
            count += 1
            logger.info("%s: classes %s -> %s", path, labels.unique().tolist(), out / name)
    print(f"{count} images segmented: overlays in {out}/, label maps in {out / 'labels'}/")


@torch.no_grad()
def detect(
    model: torch.nn.Module,
    batches: Iterator[list[tuple[Path, torch.Tensor]]],
    classes: list[str],
    cat_ids: list[int],
    score_thr: float,
    device: torch.device,
    out: Path,
) -> None:
    """Writes the drawn detections of each image and ``predictions.json``."""
    results, used_names, image_id = [], set(), 0
    for batch in batches:
        outputs = model.predict([image.to(device) for _, image in batch])
        for (path, image), output in zip(batch, outputs, strict=True):
            image_id += 1
            keep = output["scores"] >= score_thr
            pred = {k: v[keep].cpu() for k, v in output.items()}
            drawn = draw_detections(
                tensor_to_rgb(image), pred["boxes"], pred["labels"], pred["scores"], classes
            )
            name = output_name(path, used_names)
            save_rgb(out / name, drawn)
            for record in predictions_to_coco_results([image_id], [pred], cat_ids):
                results.append({**record, "file_name": str(path)})
            logger.info("%s: %d detections -> %s", path, len(pred["boxes"]), out / name)
    (out / "predictions.json").write_text(json.dumps(results, indent=1))
    print(f"{image_id} images, {len(results)} detections (score >= {score_thr}) in {out}/")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        sys.exit(main())
    except (CheckpointError, FileNotFoundError, ValueError) as error:
        logging.getLogger("infer").error("%s", error)
        sys.exit(2)
