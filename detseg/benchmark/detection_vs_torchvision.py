"""Training-step and inference throughput of a detseg detector beside its torchvision twin.

Both models are built by :func:`detseg.benchmark.twins.detection_twins` (same random weights)
and get the same random batch (:func:`detseg.benchmark.throughput.random_detection_batch`:
90 classes, a few xyxy boxes per image). First, in eval mode, float32, before any training
step, both models' detections on that batch are compared (``tv(images)`` vs
``detseg.predict(images)``: same labels, scores and boxes); then, timed, interleaved:

- a training step: ``tv(images, targets)`` vs ``detseg.losses(images, targets)``, summed,
  backward, SGD step;
- inference: ``tv(images)`` vs ``detseg.predict(images)`` under ``torch.no_grad``.

With ``amp`` both models' timed calls run under ``torch.autocast``, with ``channels_last``
both models' weights are ``torch.channels_last``, with ``compile_mode`` both go through
``torch.compile`` alike (:mod:`detseg.benchmark.compilation`), and with ``profile`` both are
profiled after the timings (:mod:`detseg.benchmark.profiling`).
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import Tensor

from detseg.benchmark.comparison import ModelComparison, measure_twins
from detseg.benchmark.compilation import check_compile_mode
from detseg.benchmark.throughput import random_detection_batch
from detseg.benchmark.twins import MASK_TWINS, detection_twins
from detseg.timed_stages import timed_stage

logger = logging.getLogger(__name__)

# detections are "the same" within float rounding: equal labels, scores within 1e-5 relative,
# boxes within 1e-4 px (plus 1e-5 relative)
SCORE_TOL, BOX_ATOL = 1e-5, 1e-4

NUM_CLASSES = 90  # labels of the random targets (torchvision's COCO heads: 1..90)


def benchmark_detection(
    arch: str,
    size: int = 320,
    batch: int = 4,
    repeats: int = 5,
    device: str = "cpu",
    seed: int = 0,
    amp: str = "none",
    channels_last: bool = False,
    profile: bool = False,
    compile_mode: str = "none",
    compile_backend: str = "inductor",
) -> ModelComparison:
    """Build ``arch`` (torchvision, random weights) and its detseg conversion; time both.

    Args:
        arch: a builder of :data:`detseg.benchmark.twins.DETECTION_TWINS`.
        size: side of the square images, and the twin's ``min_size`` / ``max_size``.
        batch, repeats, device: see :class:`~detseg.benchmark.comparison.ModelComparison`.
        seed: seed of the weights and of the batch.
        amp: ``"bf16"`` / ``"fp16"``: the timed (and profiled) calls of both models run under
            ``torch.autocast`` with that dtype; ``"none"``: float32.
        channels_last: convert both models to ``torch.channels_last`` first.
        profile: after the timings, profile 3 training steps and 3 inference calls per model.
        compile_mode: ``torch.compile`` both models alike before the timings: ``"none"``,
            ``"backbone"`` (each model's ``backbone`` in place) or ``"all"`` (the timed calls);
            see :mod:`detseg.benchmark.compilation`.
        compile_backend: the ``torch.compile`` backend (``"inductor"``; ``"eager"`` in tests).

    Returns:
        The comparison; its ``detections_agree`` says whether both models detected the same
        (:func:`detections_agree`) before the timings (``None`` when neither detected
        anything: nothing to compare), ``detections_per_image`` how many torchvision's did.
    """
    check_compile_mode(compile_mode)
    torch.manual_seed(seed)
    where = torch.device(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    twin, ours = detection_twins(arch, size, where, memory_format)
    masks = arch in MASK_TWINS
    images, targets = random_detection_batch(batch, size, NUM_CLASSES, where, seed, masks)
    twin.eval()
    ours.eval()
    checking = f"checking that both models detect the same on the batch of {batch} (float32)"
    with timed_stage(logger, checking), torch.no_grad():
        reference = twin(images)
        agree: bool | None = detections_agree(reference, ours.predict(images))
    counts = [len(det["labels"]) for det in reference]
    if agree and not any(counts):  # both empty: nothing was compared
        agree = None
    models = {
        "torchvision": (twin, lambda: twin(images, targets), lambda: twin(images)),
        "detseg": (ours, lambda: ours.losses(images, targets), lambda: ours.predict(images)),
    }
    return measure_twins(
        models,
        arch=arch,
        batch=batch,
        size=size,
        device=where,
        repeats=repeats,
        amp=amp,
        channels_last=channels_last,
        profile=profile,
        compile_mode=compile_mode,
        compile_backend=compile_backend,
        detections_agree=agree,
        detections_per_image=counts,
    )


def detections_agree(reference: list[dict[str, Tensor]], ours: list[Any]) -> bool:
    """Whether every image has the same detections: as many, equal labels, scores and boxes
    equal within float rounding (``SCORE_TOL``, ``BOX_ATOL``)."""
    if len(reference) != len(ours):
        return False
    for ref, det in zip(reference, ours, strict=True):
        if ref["labels"].shape != det["labels"].shape:
            return False
        if not torch.equal(ref["labels"], det["labels"]):
            return False
        if not torch.allclose(det["scores"], ref["scores"], rtol=SCORE_TOL, atol=SCORE_TOL):
            return False
        if not torch.allclose(det["boxes"], ref["boxes"], rtol=SCORE_TOL, atol=BOX_ATOL):
            return False
    return True
