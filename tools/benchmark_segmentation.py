"""Segmentation part of ``tools/benchmark.py model``: a detseg segmenter vs its torchvision twin.

The torchvision model is built with ``weights=None, weights_backbone=None`` (random weights,
21 classes) and converted with ``detseg.models.from_torchvision`` (same weights). Both get the
same ``[0, 1]`` images: detseg normalises them itself, the torchvision call normalises them
first (``(x - mean) / std``, ImageNet statistics, inside the timed call), so both calls do the
same work. Measured:

- agreement, before any training step, in eval mode: the logits (``detseg(x)`` vs
  ``tv(normalised x)["out"]``, max abs difference and ``torch.allclose``) and the loss;
- a training step: forward + cross-entropy (``ignore_index=255``, plus 0.5 x the auxiliary
  head's cross-entropy with ``aux_loss``) + backward + SGD step; detseg's loss is
  ``model.losses(images, masks)``, torchvision's is computed here the same way;
- inference: ``tv(normalised x)["out"]`` vs ``detseg(x)``, under ``torch.no_grad``. With
  ``aux_loss`` torchvision also runs its auxiliary head at inference; detseg does not.

Both models alike: with ``amp`` the timed calls run under ``torch.autocast`` (the agreement
check stays in float32), with ``channels_last`` both are converted to ``torch.channels_last``
before anything runs, and with ``profile`` both are profiled after the timings
(:mod:`detseg.engine.profiling`).

``benchmark_segmentation`` returns the numbers (``SegmentationBenchmark``); ``run_model`` is the
CLI entry that prints them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torchvision.models.segmentation as tv_segmentation
from torch import Tensor, nn

from detseg.engine.profiling import CallProfile, format_profiles, profile_models
from detseg.engine.throughput import AMP_DTYPES, compare_throughput
from detseg.models import from_torchvision
from detseg.segmentation.model import IMAGENET_MEAN, IMAGENET_STD

# torchvision segmentation builders with a detseg twin
TWINS = (
    "fcn_resnet50",
    "fcn_resnet101",
    "deeplabv3_resnet50",
    "deeplabv3_resnet101",
    "deeplabv3_mobilenet_v3_large",
    "lraspp_mobilenet_v3_large",
)
NO_AUX = ("lraspp_mobilenet_v3_large",)  # torchvision's LR-ASPP has no auxiliary head
NUM_CLASSES = 21  # torchvision's default (VOC: background + 20)
IGNORE_INDEX = 255
AUX_WEIGHT = 0.5
# float32 tolerance for "same computation": the two models run the same kernels, so their
# logits may differ by float rounding only; the absolute part scales with the largest logit
# (random weights give logits anywhere from 1e-2 to 1e2)
RTOL, ATOL_SCALE = 1e-4, 1e-4


@dataclass
class SegmentationBenchmark:
    """What one run of the segmentation benchmark measured.

    Attributes:
        arch: torchvision builder name.
        aux_loss: whether the models have (and train) an auxiliary head.
        batch, size: images per call and their side in pixels.
        device: torch device the models ran on.
        threads: ``torch.get_num_threads()`` during the run.
        repeats: timed calls per measurement (median reported).
        amp: autocast mode of the timed calls: ``"none"``, ``"bf16"`` or ``"fp16"``.
        channels_last: whether both models ran in ``torch.channels_last`` memory format.
        train_images_per_s, infer_images_per_s: ``{"torchvision": ..., "detseg": ...}``.
        max_abs_diff: largest ``|detseg - torchvision|`` over the eval-mode logits.
        max_abs_logit: largest ``|torchvision logit|`` (scale of ``max_abs_diff``).
        logits_agree: ``torch.allclose(detseg, torchvision, rtol=RTOL,
            atol=ATOL_SCALE * max_abs_logit)``.
        loss_diff: ``|detseg loss - torchvision loss|`` (eval mode, summed loss terms).
        losses_agree: ``torch.allclose(detseg loss, torchvision loss, rtol=RTOL)``.
        profiles: ``{"torchvision" | "detseg": {"train" | "infer": CallProfile}}`` when
            profiled, else ``None``.
    """

    arch: str
    aux_loss: bool
    batch: int
    size: int
    device: str
    threads: int
    repeats: int
    train_images_per_s: dict[str, float]
    infer_images_per_s: dict[str, float]
    max_abs_diff: float
    max_abs_logit: float
    logits_agree: bool
    loss_diff: float
    losses_agree: bool
    amp: str = "none"
    channels_last: bool = False
    profiles: dict[str, dict[str, CallProfile]] | None = None

    @property
    def train_ratio(self) -> float:
        """detseg / torchvision training throughput (> 1: detseg is faster)."""
        return self.train_images_per_s["detseg"] / self.train_images_per_s["torchvision"]

    @property
    def infer_ratio(self) -> float:
        """detseg / torchvision inference throughput (> 1: detseg is faster)."""
        return self.infer_images_per_s["detseg"] / self.infer_images_per_s["torchvision"]


def check_arguments(arch: str, batch: int, aux_loss: bool) -> None:
    """Raise ``ValueError`` for a combination torchvision cannot run."""
    if arch not in TWINS:
        raise ValueError(f"unknown segmentation architecture {arch!r}; choose one of {TWINS}.")
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


def _agreement(tv_logits, tv_losses, ours, images, masks) -> dict[str, float | bool]:
    """Eval-mode logits and summed losses of both models, compared (before any training)."""
    with torch.no_grad():
        reference, logits = tv_logits(), ours(images)
        tv_loss = sum(tv_losses().values())
        our_loss = sum(ours.losses(images, masks).values())
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
) -> SegmentationBenchmark:
    """Build ``arch`` (torchvision, random weights) and its detseg conversion; measure both.

    Agreement is checked first (eval mode, untrained copies, float32), then each model is timed:
    training steps change its weights, so the timings come after the comparison.

    Args:
        arch, size, batch, repeats, device, aux_loss, seed: see :class:`SegmentationBenchmark`.
        amp: ``"bf16"`` / ``"fp16"``: the timed (and profiled) calls of both models run under
            ``torch.autocast`` with that dtype; ``"none"``: float32.
        channels_last: convert both models to ``torch.channels_last`` first.
        profile: after the timings, profile 3 training steps and 3 inference calls per model.

    Raises:
        ValueError: see ``check_arguments``.
    """
    check_arguments(arch, batch, aux_loss)
    torch.manual_seed(seed)
    where = torch.device(device)
    kwargs = {"aux_loss": True} if aux_loss else {}
    builder = getattr(tv_segmentation, arch)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    twin = builder(weights=None, weights_backbone=None, **kwargs).to(where).eval()
    ours = from_torchvision(twin).to(where).eval()
    twin, ours = twin.to(memory_format=memory_format), ours.to(memory_format=memory_format)
    images, masks = random_segmentation_batch(batch, size, where, seed)
    tv_logits, tv_losses = torchvision_calls(twin, images, masks)
    agreement = _agreement(tv_logits, tv_losses, ours, images, masks)
    models = {
        "torchvision": (twin, tv_losses, tv_logits),
        "detseg": (ours, lambda: ours.losses(images, masks), lambda: ours(images)),
    }
    train, infer = compare_throughput(models, batch, where, repeats, AMP_DTYPES[amp])
    profiles = profile_models(models, where, AMP_DTYPES[amp]) if profile else None
    return SegmentationBenchmark(
        arch=arch,
        aux_loss=aux_loss,
        batch=batch,
        size=size,
        device=str(where),
        threads=torch.get_num_threads(),
        repeats=repeats,
        train_images_per_s=train,
        infer_images_per_s=infer,
        **agreement,
        amp=amp,
        channels_last=channels_last,
        profiles=profiles,
    )


def format_report(result: SegmentationBenchmark) -> list[str]:
    """The lines ``tools/benchmark.py model`` prints for one segmentation benchmark."""
    aux = " with aux head" if result.aux_loss else ""
    lines = [
        f"{result.arch}{aux}: batch {result.batch} x {result.size} px on {result.device} "
        f"({result.threads} threads), {result.repeats} timed repetitions, amp {result.amp}, "
        f"{'channels_last' if result.channels_last else 'contiguous'} weights"
    ]
    for name in ("torchvision", "detseg"):
        lines.append(
            f"{name:>12}: train {result.train_images_per_s[name]:7.2f} img/s   "
            f"infer {result.infer_images_per_s[name]:7.2f} img/s"
        )
    lines.append(
        f"ratio detseg / torchvision: train {result.train_ratio:.2f}x   "
        f"infer {result.infer_ratio:.2f}x"
    )
    lines.append(
        f"logits agree: {result.logits_agree} (max abs diff {result.max_abs_diff:.3g}, "
        f"largest logit {result.max_abs_logit:.3g}; rtol={RTOL:g}, "
        f"atol={ATOL_SCALE:g} x largest logit)"
    )
    lines.append(f"losses agree: {result.losses_agree} (abs diff {result.loss_diff:.3g})")
    if result.profiles is not None:
        lines.extend(format_profiles(result.profiles))
    return lines


def run_model(args: argparse.Namespace) -> int:
    """``tools/benchmark.py model <segmentation arch>``: 0 if the two models agree, else 1."""
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        check_arguments(args.arch, args.batch, args.aux_loss)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = benchmark_segmentation(
        args.arch,
        args.size,
        args.batch,
        args.repeats,
        args.device,
        args.aux_loss,
        args.seed,
        amp=args.amp,
        channels_last=args.channels_last,
        profile=args.profile,
    )
    print("\n".join(format_report(result)))
    return 0 if result.logits_agree and result.losses_agree else 1
