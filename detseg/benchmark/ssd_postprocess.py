"""SSD post-processing alone, detseg vs torchvision, on the same head outputs.

Post-processing is softmax, box decoding, per-class top-k and NMS. The head outputs and the
default boxes come from the torchvision twin (random weights, so many boxes pass the score
threshold); detseg's ``SSD.postprocess`` gets the same tensors (its default boxes are shared
by every image). Both are timed per image, next to whole-model inference, the two models'
calls interleaved (:func:`~detseg.benchmark.throughput.measure_interleaved`), and their
detections are compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from detseg.benchmark.comparison import counted
from detseg.benchmark.detection_vs_torchvision import detections_agree
from detseg.benchmark.throughput import measure_interleaved, random_detection_batch
from detseg.benchmark.twins import SSD_TWINS, detection_twins

IMAGE_SIZE = 320  # side of the random images (each twin resizes them to its own input size)
NUM_CLASSES = 90  # labels of the random targets (unused: inference only)


@dataclass
class PostprocessComparison:
    """What one run of the SSD post-processing benchmark measured.

    Attributes:
        arch: torchvision SSD builder name.
        batch: images per call.
        device: torch device the models ran on.
        threads: ``torch.get_num_threads()`` during the run.
        repeats: timed calls per measurement (median reported).
        default_boxes: default boxes per image.
        classes: foreground classes scored per default box.
        pairs_above_threshold: (box, class) pairs per image scoring above ``score_thresh``.
        score_thresh: the twin's score threshold.
        postprocess_ms, inference_ms: ``{"torchvision" | "detseg": ms per image}`` of
            post-processing alone and of whole-model inference.
        same_detections: whether both give the same detections
            (:func:`~detseg.benchmark.detection_vs_torchvision.detections_agree`).
    """

    arch: str
    batch: int
    device: str
    threads: int
    repeats: int
    default_boxes: int
    classes: int
    pairs_above_threshold: float
    score_thresh: float
    postprocess_ms: dict[str, float]
    inference_ms: dict[str, float]
    same_detections: bool


def ssd_head_outputs(
    twin: Any, images: list[Tensor]
) -> tuple[dict[str, Tensor], Tensor, list[tuple[int, int]]]:
    """The torchvision SSD's head outputs, default boxes and resized image sizes.

    Returns:
        ``(outputs, anchors, sizes)``: ``outputs["cls_logits"]`` ``[B, A, C + 1]`` and
        ``outputs["bbox_regression"]`` ``[B, A, 4]``; ``anchors`` ``[A, 4]`` xyxy pixels of
        the resized input (the same for every image); ``sizes`` ``(height, width)`` per image.

    Raises:
        RuntimeError: torchvision gave different default boxes per image.
    """
    with torch.no_grad():
        batch, _ = twin.transform(images)
        features = list(twin.backbone(batch.tensors).values())
        outputs = twin.head(features)
        anchors = twin.anchor_generator(batch, features)
    if not all(torch.equal(a, anchors[0]) for a in anchors):
        raise RuntimeError("torchvision gave different default boxes per image")
    return outputs, anchors[0], batch.image_sizes


def benchmark_ssd_postprocess(
    arch: str, batch: int = 4, repeats: int = 5, device: str = "cpu", seed: int = 0
) -> PostprocessComparison:
    """Time the post-processing and the whole inference of ``arch`` and its detseg twin.

    Args:
        arch: a builder of :data:`detseg.benchmark.twins.SSD_TWINS`.
        batch, repeats, device: see :class:`PostprocessComparison`.
        seed: seed of the weights and of the images.
    """
    if arch not in SSD_TWINS:
        raise ValueError(f"unknown SSD architecture {arch!r}; choose one of {SSD_TWINS}.")
    torch.manual_seed(seed)
    where = torch.device(device)
    twin, ours = detection_twins(arch, IMAGE_SIZE, where)
    twin, ours = twin.eval(), ours.eval()
    images, _ = random_detection_batch(batch, IMAGE_SIZE, NUM_CLASSES, where, seed)
    tv_outputs, anchors, sizes = ssd_head_outputs(twin, images)
    outputs = {"cls_logits": tv_outputs["cls_logits"], "box_deltas": tv_outputs["bbox_regression"]}
    scores = tv_outputs["cls_logits"].softmax(-1)[..., 1:]
    passing = (scores > twin.score_thresh).sum().item() / len(images)
    calls: dict[str, tuple[Callable[[], list[dict]], Callable[[], object]]] = {
        "torchvision": (
            lambda: twin.postprocess_detections(tv_outputs, [anchors] * len(images), sizes),
            lambda: twin(images),
        ),
        "detseg": (
            lambda: ours.postprocess(outputs, anchors, [anchors.shape[0]], sizes),
            lambda: ours.predict(images),
        ),
    }

    def ms_per_image(which: int, desc: str) -> dict[str, float]:
        """ms per image of each model's call ``which`` (0 post-processing, 1 whole
        inference), the two models' calls interleaved so that a change of load hits both."""
        timed = measure_interleaved(
            {name: fns[which] for name, fns in calls.items()}, batch, where, repeats, desc=desc
        )
        return {name: 1000.0 / throughput.images_per_s for name, throughput in timed.items()}

    with torch.no_grad():
        post = ms_per_image(0, "post-processing")
        whole = ms_per_image(1, "inference")
        same = detections_agree(calls["torchvision"][0](), calls["detseg"][0]())
    return PostprocessComparison(
        arch=arch,
        batch=batch,
        device=str(where),
        threads=torch.get_num_threads(),
        repeats=repeats,
        default_boxes=anchors.shape[0],
        classes=scores.shape[-1],
        pairs_above_threshold=passing,
        score_thresh=twin.score_thresh,
        postprocess_ms=post,
        inference_ms=whole,
        same_detections=same,
    )


def format_postprocess_report(result: PostprocessComparison) -> list[str]:
    """Report lines: the set-up, one line per model, the speed-ups, the agreement."""
    lines = [
        f"{result.arch} (random init): batch {result.batch} on {result.device} "
        f"({counted(result.threads, 'thread')}), {result.default_boxes} default boxes x "
        f"{result.classes} classes, {result.pairs_above_threshold:.0f} (box, class) pairs per "
        f"image above score_thresh={result.score_thresh}, "
        f"{counted(result.repeats, 'timed repetition')}"
    ]
    post, whole = result.postprocess_ms, result.inference_ms
    for name in post:
        lines.append(
            f"{name:>12}: post-processing {post[name]:8.1f} ms/image   whole inference "
            f"{whole[name]:8.1f} ms/image   post-processing share "
            f"{100 * post[name] / whole[name]:5.1f}%"
        )
    lines.append(
        f"speed-up detseg vs torchvision: post-processing "
        f"{post['torchvision'] / post['detseg']:.1f}x   whole inference "
        f"{whole['torchvision'] / whole['detseg']:.2f}x"
    )
    lines.append(f"same detections: {result.same_detections}")
    return lines
