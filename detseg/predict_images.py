"""Run a checkpoint on image files and write what it finds, drawn and as data.

A detector gives, for each readable image, ``OUT/<name>`` with boxes, class names and scores
drawn (one colour per class), and ``OUT/predictions.json``: every detection at or above the
score threshold in the COCO results format (``image_id`` is the position of the image in the
input list, from 1; ``category_id`` the dataset's id) plus ``file_name``.

A segmenter gives ``OUT/<name>``: the image with one colour per class blended in and a legend
(class names and colours) on its right, and ``OUT/labels/<stem>.png``: the predicted label map
as an 8-bit PNG (0 background, ``k`` the k-th class of the checkpoint), made as the
checkpoint config's ``eval.tta``, ``eval.tta_scales`` and ``eval.crf`` say (``plain``: one
forward pass).

Inputs that name no image or cannot be read are reported by name; the others are processed.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import torch

from detseg.config import config_from_dict
from detseg.engine.checkpointing import load_checkpoint, model_from_checkpoint
from detseg.engine.runtime import Detector, resolve_device
from detseg.evaluation.coco_format import predictions_to_coco_results
from detseg.image_inputs import batched, expand_inputs, output_name, read_images
from detseg.segmentation.inference import SegmentationInference
from detseg.visualize import (
    draw_detections,
    draw_segmentation,
    save_label_map,
    save_rgb,
    tensor_to_rgb,
)

logger = logging.getLogger(__name__)

# ``[(path, image Float[3, H, W] in [0, 1]), ...]``: one batch of read images
ImageBatch = list[tuple[Path, torch.Tensor]]


@dataclass
class PredictionRun:
    """What :func:`predict_checkpoint` did.

    Attributes:
        task: ``"detection"`` or ``"segmentation"``.
        images: images processed.
        out: output folder.
        detections: detections written to ``predictions.json`` (detection only).
        score_threshold: the score a detection needed to be kept (detection only).
        failed: inputs that named no image, and image files that could not be read.
    """

    task: str
    images: int
    out: Path
    detections: int = 0
    score_threshold: float | None = None
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: what was processed and where the results are."""
        if self.task == "segmentation":
            return (
                f"{self.images} images segmented: overlays in {self.out}/, label maps in "
                f"{self.out / 'labels'}/"
            )
        return (
            f"{self.images} images, {self.detections} detections "
            f"(score >= {self.score_threshold}) in {self.out}/"
        )


def predict_checkpoint(
    checkpoint: str | os.PathLike,
    inputs: Sequence[str],
    out: str | os.PathLike,
    device: str = "auto",
    score_threshold: float | None = None,
    tta: str | None = None,
    plain: bool = False,
    batch_size: int = 1,
    overrides: Sequence[str] = (),
) -> PredictionRun:
    """Run ``checkpoint`` on the images named by ``inputs``; write the results into ``out``.

    Args:
        checkpoint: a ``best.pt`` / ``last.pt`` written by training.
        inputs: image files, folders or glob patterns (see
            :func:`detseg.image_inputs.expand_inputs`).
        out: output folder (created).
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        score_threshold: detection: keep detections scoring at least this (default: the
            config's ``eval.score_threshold``). Below the model's own inference threshold
            (``model.score_thresh``), that threshold is lowered to it for this run, so that
            e.g. ``0.001`` gives every detection COCO AP needs.
        tta: segmentation: test-time augmentation mode of
            :mod:`detseg.segmentation.tta` (default: the config's ``eval.tta``).
        plain: segmentation: one forward pass per image (``model.predict``), whatever the
            config says.
        batch_size: images per forward pass.
        overrides: ``"key=value"`` changes of the checkpoint's config (``--set``), e.g.
            ``model.roi_heads.nms_thresh=0.6`` or ``eval.crf.iterations=0``.

    Raises:
        ValueError: ``batch_size`` below 1.
        ConfigError: a bad override.
        CheckpointError: an unreadable checkpoint.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    out = Path(out)
    where = resolve_device(device)
    state = load_checkpoint(Path(checkpoint))
    cfg = config_from_dict(state["config"], source=str(checkpoint), overrides=overrides)
    model, _, classes = model_from_checkpoint(
        state, where, cfg.model.to_dict(), source=str(checkpoint)
    )
    paths, failed = expand_inputs(inputs)
    for item in failed:
        logger.error("no image found for input %r", item)
    out.mkdir(parents=True, exist_ok=True)
    images = batched(read_images(paths, failed), batch_size)
    eval_cfg = cfg.eval
    if getattr(model, "task", "detection") == "segmentation":
        inference = SegmentationInference()  # plain: model.predict
        if not plain:
            inference = SegmentationInference.from_config(eval_cfg, tta=tta)
        logger.info("segmentation inference: %s", inference.describe())
        count = segment_images(model, images, classes, where, out, inference)
        return PredictionRun("segmentation", count, out, failed=failed)
    threshold = eval_cfg.score_threshold if score_threshold is None else score_threshold
    detector = cast(Detector, model)
    if threshold < detector.score_thresh:
        logger.info(
            "model score threshold %g lowered to %g for this run", detector.score_thresh, threshold
        )
        detector.score_thresh = threshold
    cat_ids = state["meta"].get("cat_ids") or list(range(1, len(classes) + 1))
    count, detections = detect_images(model, images, classes, cat_ids, threshold, where, out)
    return PredictionRun("detection", count, out, detections, threshold, failed)


@torch.no_grad()
def segment_images(
    model: torch.nn.Module,
    batches: Iterable[ImageBatch],
    classes: list[str],
    device: torch.device,
    out: Path,
    inference: SegmentationInference | None = None,
) -> int:
    """Write an overlay with a legend and the label-map PNG of each image; the image count.

    Args:
        model: the segmenter, on ``device``.
        batches: batches of ``(path, image)``; the images are segmented one at a time (they may
            differ in size).
        classes: the ``K`` foreground class names (labels ``1..K``).
        device: where the model runs.
        out: output folder: ``out/<name>`` overlays, ``out/labels/<stem>.png`` label maps.
        inference: test-time augmentation and CRF; ``None``: ``model.predict``.
    """
    inference = inference or SegmentationInference()
    used_names: set[str] = set()
    count = 0
    for batch in batches:
        for path, image in batch:
            labels = inference(model, image.to(device)[None])[0].cpu()
            name = output_name(path, used_names)
            save_rgb(out / name, draw_segmentation(tensor_to_rgb(image), labels, classes))
            save_label_map(out / "labels" / f"{Path(name).stem}.png", labels)
            count += 1
            names = [(["background"] + classes)[int(k)] for k in labels.unique()]
            logger.info("%s: %s -> %s", path, ", ".join(names), out / name)
    return count


@torch.no_grad()
def detect_images(
    model: torch.nn.Module,
    batches: Iterable[ImageBatch],
    classes: list[str],
    cat_ids: list[int],
    score_threshold: float,
    device: torch.device,
    out: Path,
) -> tuple[int, int]:
    """Write the drawn detections of each image and ``out/predictions.json``.

    Args:
        model: the detector, on ``device``.
        batches: batches of ``(path, image)``, one ``model.predict`` call each.
        classes: the ``K`` foreground class names (labels ``1..K``).
        cat_ids: the dataset's category id of each label ``1..K``.
        score_threshold: detections scoring below it are dropped.
        device: where the model runs.
        out: output folder.

    Returns:
        ``(images, detections)``: how many of each were written.
    """
    results: list[dict] = []
    used_names: set[str] = set()
    image_id = 0
    for batch in batches:
        outputs = cast(Detector, model).predict([image.to(device) for _, image in batch])
        for (path, image), output in zip(batch, outputs, strict=True):
            image_id += 1
            keep = output["scores"] >= score_threshold
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
    return image_id, len(results)
