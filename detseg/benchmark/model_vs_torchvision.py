"""Any twin architecture beside its torchvision model: the ``benchmark.py model`` code path.

:func:`benchmark_model` sends a detection builder to
:func:`~detseg.benchmark.detection_vs_torchvision.benchmark_detection` and a segmentation builder
to :func:`~detseg.benchmark.segmentation_vs_torchvision.benchmark_segmentation`;
``tools/benchmark.py model`` and the target table (:mod:`detseg.benchmark.suite`) both go
through it, so a suite row measures exactly what the single command does.
"""

from __future__ import annotations

from typing import Any

from detseg.benchmark.comparison import ModelComparison, format_comparison
from detseg.benchmark.detection_vs_torchvision import benchmark_detection
from detseg.benchmark.segmentation_vs_torchvision import (
    SegmentationComparison,
    benchmark_segmentation,
    format_segmentation_report,
)
from detseg.benchmark.twins import DETECTION_TWINS, SEGMENTATION_TWINS, SSD_TWINS
from detseg.memory_errors import is_device_out_of_memory, is_out_of_memory


def benchmark_model(
    arch: str,
    *,
    size: int,
    batch: int,
    repeats: int,
    device: str = "cpu",
    seed: int = 0,
    amp: str = "none",
    channels_last: bool = False,
    profile: bool = False,
    aux_loss: bool = False,
    compile_mode: str = "none",
    compile_backend: str = "inductor",
) -> ModelComparison:
    """Measure ``arch``'s torchvision model and its detseg twin (same weights, same inputs).

    Args:
        arch: a builder of :data:`~detseg.benchmark.twins.DETECTION_TWINS` or
            :data:`~detseg.benchmark.twins.SEGMENTATION_TWINS`.
        size, batch, repeats, device, seed, amp, channels_last, profile, compile_mode,
            compile_backend: as for
            :func:`~detseg.benchmark.detection_vs_torchvision.benchmark_detection`.
        aux_loss: segmentation FCN / DeepLabV3 only: build and train the auxiliary head.

    Returns:
        A :class:`~detseg.benchmark.comparison.ModelComparison`; for a segmenter a
        :class:`~detseg.benchmark.segmentation_vs_torchvision.SegmentationComparison`, which
        also says whether the logits and losses agree.

    Raises:
        ValueError: an unknown ``arch``, ``aux_loss`` on a detector, settings the
            architecture cannot take, or a ``batch`` and ``size`` whose tensors do not fit in
            the CPU's memory.
    """
    settings: dict[str, Any] = {
        "size": size,
        "batch": batch,
        "repeats": repeats,
        "device": device,
        "seed": seed,
        "amp": amp,
        "channels_last": channels_last,
        "profile": profile,
        "compile_mode": compile_mode,
        "compile_backend": compile_backend,
    }
    if arch not in SEGMENTATION_TWINS and arch not in DETECTION_TWINS:
        raise ValueError(
            f"unknown architecture {arch!r}; choose a detection ({', '.join(DETECTION_TWINS)}) "
            f"or segmentation ({', '.join(SEGMENTATION_TWINS)}) builder."
        )
    if aux_loss and arch not in SEGMENTATION_TWINS:
        raise ValueError(f"--aux-loss is for segmentation archs, not {arch}")
    try:
        if arch in SEGMENTATION_TWINS:
            return benchmark_segmentation(arch, aux_loss=aux_loss, **settings)
        return benchmark_detection(arch, **settings)
    except ValueError as error:
        if _BATCH_NORM_SINGLE_VALUE not in str(error):
            raise
        # an SSD resizes its images to its own fixed size: only the batch helps there; the
        # other detectors resize to --size (min_size = max_size), as segmenters take it
        bigger = "" if arch in SSD_TWINS else ", or a larger --size"
        raise ValueError(
            f"{arch} with --batch {batch} --size {size}: a BatchNorm layer gets one value per "
            f"channel in a training step (a 1x1 feature map of a single image: {error}); use "
            f"--batch 2 or more{bigger}"
        ) from error
    except (MemoryError, RuntimeError) as error:
        # numpy's MemoryError, or the CPU allocator's RuntimeError; CUDA's OutOfMemoryError
        # keeps its own words (a suite row reports it as it is)
        if not is_out_of_memory(error) or is_device_out_of_memory(error):
            raise
        raise ValueError(
            f"{arch} with --batch {batch} --size {size}: the images or the activations do not "
            "fit in memory; give a smaller --batch or --size"
        ) from error


#: What PyTorch's BatchNorm says when a training batch has one value per channel.
_BATCH_NORM_SINGLE_VALUE = "Expected more than 1 value per channel when training"


def outputs_agree(result: ModelComparison) -> bool:
    """Whether a segmenter's logits and losses, or a detector's detections, agree with
    torchvision's (True for a comparison that checked neither)."""
    if isinstance(result, SegmentationComparison):
        return result.logits_agree and result.losses_agree
    return result.detections_agree is not False


def format_model_report(result: ModelComparison) -> list[str]:
    """The report lines of :func:`benchmark_model`'s result."""
    if isinstance(result, SegmentationComparison):
        return format_segmentation_report(result)
    return format_comparison(result)
