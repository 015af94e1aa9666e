"""Check an exported file against the PyTorch model: :func:`verify_export`.

The file runs where a user would run it (onnxruntime for ONNX, ``torch.jit.load`` for
TorchScript) on a few images, and its outputs are compared with the model's:
``model.predict([image])`` for a detector, ``model(images)`` for a segmenter, within a
:class:`~detseg.export.comparison.Tolerance`: detections paired as sets (same labels, boxes
within ``box`` times the longer image side, scores within ``score_rel`` of the model's, at most
``score`` and at least ``score_floor`` (1 %, 1e-3, 1e-6); only detections at the
detection limit or the score threshold, or that NMS ranked among exactly equal scores, may go
unpaired, and an exported one only where it is one of the model's candidate detections, the
same within the tolerance; no two exported boxes of one label may overlap by more than the NMS
IoU threshold: see :mod:`~detseg.export.comparison` and
:mod:`~detseg.export.candidate_detections`), logits within ``logits_rel`` of their largest
magnitude.

The images (:mod:`~detseg.export.check_images`): the ones given, else the first images of the
val split of the checkpoint's config where its data is readable here, else generated random
noise (on which a trained detector detects nothing); the report's first line says which, and
why noise. Their sizes: with a dynamic export, four: the export size, two around it (one with
a batch of two for a segmenter) and half the export size (a detector that resizes to its
``min_size`` upsamples it, which the other sizes do not test); with a static one, three inputs
of the export size.

A detector's check that compares no detection (the model and the file detect nothing above the
score threshold on any image, e.g. an early checkpoint; or every detection ties with the lowest
kept score, e.g. an untrained model's) passes but shows little: the report then ends with a
warning line that says which, and what gives detections to compare.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import torch
from torch import Tensor, nn

from detseg.choices.export_formats import DEFAULT_OPSET
from detseg.detection.faster_rcnn import FasterRCNN
from detseg.detection.retinanet import RetinaNet
from detseg.detection.ssd import SSD
from detseg.detection.yolo import YOLO
from detseg.engine.runtime.model_api import Detector
from detseg.export.candidate_detections import candidates
from detseg.export.check_images import NOISE, check_images, noise_images
from detseg.export.comparison import (
    DetectionComparison,
    LogitsComparison,
    Tolerance,
    compare_detections,
    compare_logits,
)
from detseg.export.export_error import NameOnly
from detseg.export.export_result import ExportResult
from detseg.export.torchscript_export import load_torchscript
from detseg.export.wrappers import ExportError
from detseg.named_settings import literal, settings_named
from detseg.progress_bars import progress_bar
from detseg.timed_stages import timed_stage

logger = logging.getLogger(__name__)

Runner = Callable[[Tensor], list[Tensor]]

#: The way to skip the check that an :class:`ExportError` of the check names: ``verify`` in a
#: tool's table of flags (``--no-verify``), else a Python caller's way (no call of
#: :func:`verify_export`).
SKIP_CHECK = NameOnly("do not call verify_export")

#: The images of the check that a weak check's advice names: ``image_paths`` in a tool's table
#: of flags (``--verify-images PATH``), else :func:`verify_export`'s keyword.
IMAGE_PATHS = NameOnly("verify_export's image_paths", placeholder="PATH")


@dataclass(frozen=True)
class VerificationReport:
    """The comparisons of one exported file with its model.

    Attributes:
        result: the export that was checked.
        tolerance: the :class:`Tolerance` used.
        shapes: the input shape of each check.
        comparisons: one :class:`DetectionComparison` (detector) or
            :class:`LogitsComparison` (segmenter) per input.
        images: what the inputs are, in the plural (named by the warning of a weak check).
        source: the report's first line: which images, from where ("": no such line).
    """

    result: ExportResult
    tolerance: Tolerance
    shapes: tuple[tuple[int, ...], ...]
    comparisons: tuple[DetectionComparison | LogitsComparison, ...]
    images: str = NOISE
    source: str = ""

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.comparisons)

    @property
    def detections_compared(self) -> int:
        """Detections paired with one of the model's, over all images (0 for a segmenter)."""
        return sum(c.paired for c in self.comparisons if isinstance(c, DetectionComparison))

    def lines(self, flags: Mapping[str, str] | None = None) -> list[str]:
        """The images used (where known), one line per input, then the verdict with the
        tolerance, then a warning line if a detector's check passed without comparing a
        detection.

        Args:
            flags: the tool's flag of each setting the warning's advice names (``score_thresh``,
                ``image_paths``: ``tools/export.py``'s ``EXPORT_FLAGS``); default: none, the
                advice names ``export_model``'s and ``verify_export``'s keywords
                (``score_thresh=0.01``).
        """
        tol = self.tolerance
        out = [self.source] if self.source else []
        for shape, c in zip(self.shapes, self.comparisons, strict=True):
            status = "ok" if c.passed else "FAILED"
            if isinstance(c, DetectionComparison):
                excused = [f"{c.at_cut} at the cut"] if c.at_cut else []
                excused += [f"{c.tied} among equal scores"] if c.tied else []
                if c.unchecked:
                    excused.append(
                        f"{c.unchecked} of the file's excused without a value check: no "
                        "candidates to find them among"
                    )
                cut = f" ({', '.join(excused)})" if excused else ""
                diffs = (
                    f"max box diff {c.max_box_diff:.2e} px (allowed {c.box_tolerance:.2g}), "
                    f"max score diff {c.max_score_diff:.2e}"
                    if c.paired
                    else "no pairs (box and score diffs n/a)"
                )
                out.append(
                    f"  {list(shape)}: {c.count} detections (PyTorch {c.reference_count}), "
                    f"{c.unmatched} unmatched{cut}{_overlap_words(c)}, {diffs}: {status}"
                )
            else:
                out.append(
                    f"  {list(shape)}: output {list(c.shape)} (PyTorch "
                    f"{list(c.reference_shape)}), max logit diff {c.max_diff:.2e} (allowed "
                    f"{c.tolerance * c.scale:.2g}), same argmax on {100 * c.label_agreement:.2f}% "
                    f"of pixels: {status}"
                )
        if self.result.task == "detection":
            limits = (
                f"every detection paired with one of the same label, boxes within "
                f"{tol.box:g} x the longer image side, {tol.describe_scores()}"
            )
        else:
            limits = f"logits within {tol.logits_rel:g} x max(1, max |logit|)"
        verdict = "matches" if self.passed else "does NOT match"
        out.append(f"{self.result.format} export {verdict} the PyTorch model ({limits})")
        if self.result.task == "detection" and self.passed and self.detections_compared == 0:
            out.append(self._nothing_compared(flags or {}))
        return out

    def _nothing_compared(self, flags: Mapping[str, str]) -> str:
        """The warning of a detector's check that paired no detection: why (nothing detected,
        or every detection at a cut or among tied scores) and what gives detections to compare,
        its settings named by ``flags`` (:func:`~detseg.named_settings.settings_named`).
        """
        detections = [c for c in self.comparisons if isinstance(c, DetectionComparison)]
        threshold = self.result.score_thresh or 0.0
        settings: dict[str, object] = {"image_paths": IMAGE_PATHS}
        if all(c.count == 0 and c.reference_count == 0 for c in detections):
            reason = (
                f"neither the file nor the PyTorch model detected anything above the score "
                f"threshold {threshold:g} on the {len(detections)} {self.images}"
            )
            noise = self.images == NOISE
            advice = _noise_advice(threshold) if noise else _lower_threshold_advice(threshold)
            settings["score_thresh"] = _lower_threshold(threshold)
        else:
            excused = _excused_reason(detections, self.tolerance.score)
            reason = f"no exported detection was paired with one of the PyTorch model's: {excused}"
            advice = "a trained checkpoint, whose scores differ, gives detections to compare"
            if self.images == NOISE:  # a trained checkpoint's scores on noise are ~0: all tied
                advice = f"{_noise_advice(0.0)}; {advice} on such images"
        return settings_named(
            f"warning: no detection was compared ({reason}), so this check is weak: it does "
            f"not show that boxes and scores match ({advice})",
            settings,
            flags,
        )


def _overlap_words(comparison: DetectionComparison) -> str:
    """The report's words for exported detections overlapping another of their label by more
    than the NMS IoU threshold (none: empty): a file that NMS could not have produced, such as
    one box repeated."""
    if not comparison.overlapping:
        return ""
    return (
        f", {comparison.overlapping} overlapping another of their label by more than the NMS IoU "
        "threshold (NMS keeps no such two)"
    )


def _lower_threshold(threshold: float) -> float:
    """The lower score threshold the advice gives for ``threshold`` (> 0): 0.01, else 0 (an
    int: written ``0``, as a user types it)."""
    return 0.01 if threshold > 0.01 else 0


def _noise_advice(threshold: float) -> str:
    """What gives a check on random noise detections when ``threshold`` kept none: images
    with objects, on which a trained detector detects them, and a lower ``{score_thresh}``
    (fields of :func:`~detseg.named_settings.settings_named`)."""
    real = (
        "images with objects give a trained detector detections to compare: {image_paths}, or "
        "a checkpoint whose config's val split is readable from here"
    )
    if threshold <= 0:
        return real
    return (
        f"{real}; so does a copy exported with a lower score threshold, e.g. {{score_thresh}} "
        "(it is built into the file)"
    )


def _lower_threshold_advice(threshold: float) -> str:
    """What gives a check detections when ``threshold`` (the exported score threshold) kept
    none: a lower ``{score_thresh}`` (built into the file), or a trained checkpoint."""
    if threshold <= 0:  # no threshold to lower: the model finds nothing
        return "a trained checkpoint, which detects objects, gives detections to compare"
    return (
        "a copy exported with a lower score threshold, e.g. {score_thresh} (it is built "
        "into the file), or a trained checkpoint gives detections to compare"
    )


def _excused_reason(detections: Sequence[DetectionComparison], score_tolerance: float) -> str:
    """Why a passed check paired no detection: its unpaired detections lie at a cut (the score
    threshold or the detection limit) or among exactly equal scores, where each runtime may keep
    other boxes."""
    at_cut = sum(c.at_cut for c in detections)
    tied = sum(c.tied for c in detections)
    parts = []
    if at_cut:
        parts.append(
            f"{at_cut} within {score_tolerance:g} of the score threshold or of the lowest score "
            "kept at the detection limit"
        )
    if tied:
        parts.append(f"{tied} among exactly equal scores that NMS ranks in another order")
    return "every detection lies where each runtime may keep other boxes, " + " and ".join(parts)


def verification_images(result: ExportResult, seed: int = 0) -> list[Tensor]:
    """The generated inputs of :func:`verify_export` where no real image is at hand
    (``Float[B, 3, H, W]`` in ``[0, 1]``; see the module docstring for the sizes)."""
    return noise_images(result, seed)


def detection_limit(model: nn.Module) -> int:
    """The most detections a detector's ``predict`` returns for one image (its
    ``detections_per_img``, YOLO's ``max_detections``)."""
    if isinstance(model, FasterRCNN):
        return int(model.roi_heads.config.detections_per_img)
    if isinstance(model, YOLO):
        return int(model.inference.max_detections)
    if isinstance(model, (RetinaNet, SSD)):
        return int(model.config.detections_per_img)
    raise ExportError(f"{type(model).__name__} is not an exportable detector")


def nms_threshold(model: nn.Module) -> float:
    """The IoU threshold of a detector's class-wise NMS (Faster R-CNN's box head's)."""
    if isinstance(model, FasterRCNN):
        return float(model.roi_heads.config.nms_thresh)
    if isinstance(model, YOLO):
        return float(model.inference.nms_thresh)
    if isinstance(model, (RetinaNet, SSD)):
        return float(model.config.nms_thresh)
    raise ExportError(f"{type(model).__name__} is not an exportable detector")


def runtime_name(result: ExportResult) -> str:
    """What runs the exported file: ``"onnxruntime"`` or ``"torch.jit"``."""
    return "onnxruntime" if result.format == "onnx" else "torch.jit"


def load_exported(result: ExportResult) -> Runner:
    """A function ``images -> outputs`` that runs the exported file (on the CPU)."""
    if result.format == "onnx":
        try:  # an optional dependency (detseg[export]), without type information
            onnxruntime = importlib.import_module("onnxruntime")
        except ImportError as error:
            raise ExportError(
                "checking an ONNX export needs onnxruntime: pip install onnxruntime, or skip "
                "the check ({verify})",
                verify=SKIP_CHECK,
            ) from error
        try:  # onnxruntime's errors derive from Exception only
            session = onnxruntime.InferenceSession(
                str(result.path), providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            reason = (str(error).strip() or type(error).__name__).splitlines()[0]
            raise ExportError(
                f"{literal(result.path)} was written, but onnxruntime cannot load it "
                f"({literal(reason)}); export "
                f"with another {{opset}} (default {DEFAULT_OPSET}), or skip the check ({{verify}})",
                opset=NameOnly("opset"),
                verify=SKIP_CHECK,
            ) from error

        def run_onnx(images: Tensor) -> list[Tensor]:
            outputs = session.run(None, {"images": images.numpy()})
            return [torch.from_numpy(output) for output in outputs]

        return run_onnx
    module = load_torchscript(result.path)

    def run_torchscript(images: Tensor) -> list[Tensor]:
        outputs = module(images)
        return list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]

    return run_torchscript


def verify_export(
    result: ExportResult,
    images: Sequence[Tensor] | None = None,
    tolerance: Tolerance | None = None,
    progress: bool | None = None,
    image_paths: Sequence[str | Path] | None = None,
) -> VerificationReport:
    """Run the exported file and the model on the same images and compare.

    Each stage logs a line when it starts and one with its seconds when it ends
    (:func:`~detseg.timed_stages.timed_stage`): ``loading <file> with onnxruntime`` (or
    ``torch.jit``), then ``checking <file> with onnxruntime on <n> inputs``, whose inputs a
    :func:`~detseg.progress_bars.progress_bar` counts (``checking with onnxruntime: k/n``).

    Args:
        result: what :func:`~detseg.export.model_export.export_model` returned (its
            ``model`` is the reference).
        images: ``Float[B, 3, H, W]`` inputs in ``[0, 1]`` (``B = 1`` for a detector; a static
            export needs its own size); default: those of
            :func:`~detseg.export.check_images.check_images` (``image_paths``, else the val
            split of the checkpoint's config, else :func:`verification_images`).
        image_paths: image files, folders or glob patterns to check on (resized to the
            check sizes); ignored where ``images`` are given.
        tolerance: default :class:`Tolerance`.
        progress: the bar over the inputs, on stderr: ``None`` where stderr is a terminal,
            ``True`` always, ``False`` never.

    Returns:
        The :class:`VerificationReport` (``passed``, ``lines()``).

    Raises:
        ExportError: an ``image_paths`` name that gives no image, or an unreadable image.
    """
    tolerance = tolerance or Tolerance()
    runtime = runtime_name(result)
    with timed_stage(logger, f"loading {result.path} with {runtime}"):
        run = load_exported(result)
    if images is not None:
        images, name, source = list(images), "check images", ""
    else:
        chosen = check_images(result, image_paths)
        images, name, source = chosen.batches, chosen.name, chosen.source
    comparisons: list[DetectionComparison | LogitsComparison] = []
    inputs = f"{len(images)} input{'' if len(images) == 1 else 's'}"
    checking = f"checking {result.path} with {runtime} on {inputs}"
    with timed_stage(logger, f"{checking} against the PyTorch model"), torch.no_grad():
        desc = f"checking with {runtime}"
        with progress_bar(images, desc=desc, unit="input", progress=progress) as bar:
            for batch in bar:
                comparisons.append(_compare(result, run, batch, tolerance))
    shapes = tuple(tuple(batch.shape) for batch in images)
    return VerificationReport(result, tolerance, shapes, tuple(comparisons), name, source)


def _compare(
    result: ExportResult, run: Runner, batch: Tensor, tolerance: Tolerance
) -> DetectionComparison | LogitsComparison:
    """The exported file's outputs on ``batch`` (``Float[B, 3, H, W]``) compared with the
    model's: detections (``B = 1``; boxes xyxy pixels) or logits."""
    outputs = run(batch)
    if result.task != "detection":
        return compare_logits(outputs[0], result.model(batch), tolerance)
    reference = cast(Detector, result.model).predict([batch[0]])[0]
    boxes, scores, labels = outputs
    size = (int(batch.shape[-2]), int(batch.shape[-1]))
    return compare_detections(
        (boxes, scores, labels),
        reference,
        size,
        tolerance,
        score_thresh=cast(Detector, result.model).score_thresh,
        limit=detection_limit(result.model),
        nms_thresh=nms_threshold(result.model),
        candidates=candidates(result.model, batch[0], tolerance.score),
    )
