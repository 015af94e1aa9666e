"""A detseg segmenter beside its torchvision twin: agreement first, then throughput.

The torchvision model is built with ``weights=None, weights_backbone=None`` (random weights,
21 classes) and converted with ``detseg.models.from_torchvision`` (same weights; see
:func:`detseg.benchmark.twins.segmentation_twins`). Both get the same ``[0, 1]`` images: detseg
normalises them itself, the torchvision call normalises them first (``(x - mean) / std``,
ImageNet statistics, inside the timed call), so both calls do the same work. Measured:

- agreement, before any training step, in eval mode: the logits (``detseg(x)`` vs
  ``tv(normalised x)["out"]``, max abs difference and ``torch.allclose``) and the loss;
- a training step: forward + cross-entropy (``ignore_index=255``, plus 0.5 x the auxiliary
  head's cross-entropy with ``aux_loss``) + backward + SGD step; detseg's loss is
  ``model.losses(images, masks)``, torchvision's is computed here the same way;
- inference: ``tv(normalised x)["out"]`` vs ``detseg(x)``, under ``torch.no_grad``. With
  ``aux_loss`` torchvision also runs its auxiliary head at inference; detseg does not.

Both models alike: with ``amp`` the timed calls run under ``torch.autocast`` (the agreement
check stays in float32), with ``channels_last`` both are converted to ``torch.channels_last``
before anything runs, with ``compile_mode`` both go through ``torch.compile`` alike after the
agreement check (:mod:`detseg.benchmark.compilation`), and with ``profile`` both are profiled
after the timings (:mod:`detseg.benchmark.profiling`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.backbones.weights import IMAGENET_MEAN, IMAGENET_STD
from detseg.benchmark.comparison import ModelComparison, format_comparison, measure_twins
from detseg.benchmark.compilation import check_compile_mode
from detseg.benchmark.twins import NO_AUX, SEGMENTATION_TWINS, segmentation_twins
from detseg.timed_stages import timed_stage

logger = logging.getLogger(__name__)

NUM_CLASSES = 21  # torchvision's default (VOC: background + 20)
IGNORE_INDEX = 255
AUX_WEIGHT = 0.5
# float32 tolerance for "same computation": the two models run the same kernels, so their
# logits may differ by float rounding only; the absolute part scales with the largest logit
# (random weights give logits anywhere from 1e-2 to 1e2)
RTOL, ATOL_SCALE = 1e-4, 1e-4


@dataclass
class SegmentationComparison(ModelComparison):
    """What one run of the segmentation benchmark measured: the throughputs and the checks.

    Attributes:
        aux_loss: whether the models have (and train) an auxiliary head.
        max_abs_diff: largest ``|detseg - torchvision|`` over the eval-mode logits.
        max_abs_logit: largest ``|torchvision logit|`` (scale of ``max_abs_diff``).
        logits_agree: ``torch.allclose(detseg, torchvision, rtol=RTOL,
            atol=ATOL_SCALE * max_abs_logit)``.
        loss_diff: ``|detseg loss - torchvision loss|`` (eval mode, summed loss terms).
        losses_agree: ``torch.allclose(detseg loss, torchvision loss, rtol=RTOL)``.

    The other attributes: see :class:`~detseg.benchmark.comparison.ModelComparison`.
    """

    aux_loss: bool
    max_abs_diff: float
    max_abs_logit: float
    logits_agree: bool
    loss_diff: float
    losses_agree: bool


def check_arguments(arch: str, batch: int, aux_loss: bool) -> None:
    """Raise ``ValueError`` for a combination torchvision cannot run."""
    if arch not in SEGMENTATION_TWINS:
        raise ValueError(
            f"unknown segmentation architecture {arch!r}; choose one of {SEGMENTATION_TWINS}."
        )
    if aux_loss and arch in NO_AUX:
        raise ValueError(f"{arch} has no auxiliary head: drop --aux-loss.")
    if batch < 2 and arch.startswith("deeplabv3"):
        raise ValueError(
            f"torchvision's {arch} cannot train on batch 1 (the BatchNorm of its ASPP pooling "
            "branch needs 2 values per channel): use --batch 2 or more."
        )


def random_segmentation_batch(
    batch: int, size: int, device: torch.device, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Images ``Float[B, 3, size, size]`` in [0, 1] and masks ``Int64[B, size, size]``.

    Mask labels are uniform in ``0..NUM_CLASSES - 1``; the top quarter rows are ``IGNORE_INDEX``.
    """
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(batch, 3, size, size, generator=generator)
    masks = torch.randint(0, NUM_CLASSES, (batch, size, size), generator=generator)
    masks[:, : size // 4] = IGNORE_INDEX
    return images.to(device), masks.to(device)


def torchvision_calls(
    twin: nn.Module, images: Tensor, masks: Tensor
) -> tuple[Callable[[], Tensor], Callable[[], dict[str, Tensor]]]:
    """``(logits, losses)`` closures for the torchvision twin on ``[0, 1]`` images.

    ``logits()`` is ``twin(normalised images)["out"]``; ``losses()`` is detseg's loss dict
    computed from the twin's outputs: ``loss_seg`` (cross-entropy of ``out``) and, with an
    auxiliary head, ``loss_aux`` (``AUX_WEIGHT`` x cross-entropy of ``aux``).
    """
    mean = torch.tensor(IMAGENET_MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=images.device).view(1, 3, 1, 1)

    def logits() -> Tensor:
        return twin((images - mean) / std)["out"]

    def losses() -> dict[str, Tensor]:
        outputs = twin((images - mean) / std)
        result = {"loss_seg": F.cross_entropy(outputs["out"], masks, ignore_index=IGNORE_INDEX)}
        if "aux" in outputs:
            aux = F.cross_entropy(outputs["aux"], masks, ignore_index=IGNORE_INDEX)
            result["loss_aux"] = AUX_WEIGHT * aux
        return result

    return logits, losses


def _agreement(
    tv_logits: Callable[[], Tensor],
    tv_losses: Callable[[], dict[str, Tensor]],
    ours: Any,
    images: Tensor,
    masks: Tensor,
) -> dict[str, Any]:
    """Eval-mode logits and summed losses of both models, compared (before any training)."""
    with torch.no_grad():
        reference, logits = tv_logits(), ours(images)
        tv_loss = sum(tv_losses().values())
        our_loss = sum(ours.losses(images, masks).values())
    assert isinstance(tv_loss, Tensor), "the torchvision losses have at least one term"
    scale = float(reference.abs().max())
    return {
        "max_abs_diff": float((logits - reference).abs().max()),
        "max_abs_logit": scale,
        "logits_agree": torch.allclose(logits, reference, rtol=RTOL, atol=ATOL_SCALE * scale),
        "loss_diff": float((our_loss - tv_loss).abs()),
        "losses_agree": torch.allclose(our_loss, tv_loss, rtol=RTOL, atol=0.0),
    }


def benchmark_segmentation(
    arch: str,
    size: int = 256,
    batch: int = 2,
    repeats: int = 3,
    device: str = "cpu",
    aux_loss: bool = False,
    seed: int = 0,
    amp: str = "none",
    channels_last: bool = False,
    profile: bool = False,
    compile_mode: str = "none",
    compile_backend: str = "inductor",
) -> SegmentationComparison:
    """Build ``arch`` (torchvision, random weights) and its detseg conversion; measure both.

    Agreement is checked first (eval mode, untrained copies, float32), then each model is timed:
    training steps change its weights, so the timings come after the comparison.

    Args:
        arch, size, batch, repeats, device, aux_loss: see :class:`SegmentationComparison`.
        seed: seed of the weights and of the batch.
        amp: ``"bf16"`` / ``"fp16"``: the timed (and profiled) calls of both models run under
            ``torch.autocast`` with that dtype; ``"none"``: float32.
        channels_last: convert both models to ``torch.channels_last`` first.
        profile: after the timings, profile 3 training steps and 3 inference calls per model.
        compile_mode: ``torch.compile`` both models alike before the timings: ``"none"``,
            ``"backbone"`` (each model's ``backbone`` in place) or ``"all"`` (the timed calls);
            see :mod:`detseg.benchmark.compilation`.
        compile_backend: the ``torch.compile`` backend (``"inductor"``; ``"eager"`` in tests).

    Raises:
        ValueError: see ``check_arguments``.
    """
    check_arguments(arch, batch, aux_loss)
    check_compile_mode(compile_mode)
    torch.manual_seed(seed)
    where = torch.device(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    twin, ours = segmentation_twins(arch, where, aux_loss, memory_format)
    images, masks = random_segmentation_batch(batch, size, where, seed)
    tv_logits, tv_losses = torchvision_calls(twin, images, masks)
    checking = f"checking that both models' logits and losses agree on the batch of {batch}"
    with timed_stage(logger, f"{checking} (float32)"):
        agreement = _agreement(tv_logits, tv_losses, ours, images, masks)
    models = {
        "torchvision": (twin, tv_losses, tv_logits),
        "detseg": (ours, lambda: ours.losses(images, masks), lambda: ours(images)),
    }
    measured = measure_twins(
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
    )
    common = {f.name: getattr(measured, f.name) for f in fields(measured)}
    return SegmentationComparison(**common, aux_loss=aux_loss, **agreement)


def format_segmentation_report(result: SegmentationComparison) -> list[str]:
    """The report lines of one segmentation benchmark: throughputs, then the agreement."""
    checks = [
        f"logits agree: {result.logits_agree} (max abs diff {result.max_abs_diff:.3g}, "
        f"largest logit {result.max_abs_logit:.3g}; rtol={RTOL:g}, "
        f"atol={ATOL_SCALE:g} x largest logit)",
        f"losses agree: {result.losses_agree} (abs diff {result.loss_diff:.3g})",
    ]
    if result.aux_loss:
        checks.append(
            "inference: torchvision also runs its auxiliary head, which detseg's inference "
            "leaves out, so the infer ratio is not like for like (train is)"
        )
    title = f"{result.arch}{' with aux head' if result.aux_loss else ''}"
    return format_comparison(result, title, checks)
