"""The two COCO evaluation backends side by side: time each, check that they agree.

``detseg.evaluation.coco_evaluate`` runs either faster-coco-eval (``"faster"``) or pycocotools
(the reference). Both must give the same numbers: the 12 COCO metrics and the per-class ones,
within :data:`TOLERANCE`.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from detseg.evaluation import coco_evaluate
from detseg.progress_bars import progress_bar

BACKENDS = ("faster", "pycocotools")  # the timed one first, the reference second
#: The library behind each ``coco_evaluate`` backend name, as the report prints it.
LIBRARY_NAMES = {"faster": "faster-coco-eval", "pycocotools": "pycocotools"}
TOLERANCE = 1e-12


@dataclass
class BackendComparison:
    """What :func:`compare_coco_backends` measured.

    Attributes:
        seconds: ``{"faster" | "pycocotools": seconds}``, the median of each backend's timed
            ``coco_evaluate`` calls.
        results: ``{"faster" | "pycocotools": coco_evaluate(...) dict}``.
        differences: ``|faster - pycocotools|`` per number: the metric names and
            ``"<class>/<metric>"`` for the per-class ones.
    """

    seconds: dict[str, float]
    results: dict[str, dict]
    differences: dict[str, float]

    @property
    def worst(self) -> str:
        """The number on which the backends differ most."""
        return max(self.differences, key=self.differences.__getitem__)

    @property
    def agree(self) -> bool:
        """Every number within :data:`TOLERANCE`."""
        return self.differences[self.worst] <= TOLERANCE


def result_differences(fast: dict, reference: dict) -> dict[str, float]:
    """``|fast - reference|`` for each metric and each per-class metric of two results."""
    diffs = {k: abs(fast[k] - reference[k]) for k in reference if k != "per_class"}
    for name, metrics in reference["per_class"].items():
        for key, value in metrics.items():
            diffs[f"{name}/{key}"] = abs(fast["per_class"][name][key] - value)
    return diffs


def compare_coco_backends(
    gt: dict,
    detections: list[dict],
    iou_type: str = "bbox",
    progress: bool | None = None,
    repeats: int = 3,
) -> BackendComparison:
    """Evaluate ``detections`` against ``gt`` with each backend; time and compare them.

    Each backend first evaluates the first few images once, untimed (its imports and first-use
    costs, which would otherwise fall on whichever runs first), then the backends take turns
    for ``repeats`` timed calls each (A, B, then B, A, ...): each one's time is the median.

    Args:
        gt: COCO dataset dict (``images``, ``annotations``, ``categories``).
        detections: COCO results (``image_id``, ``category_id``, ``score``, ``bbox`` xywh,
            and ``segmentation`` for ``"segm"``).
        iou_type: ``"bbox"`` or ``"segm"``.
        progress: A tqdm bar on stderr over the calls, naming the backend that runs (drawn
            outside the timed calls): ``None`` shows it only when stderr is a terminal,
            ``True`` always, ``False`` never.
        repeats: timed calls per backend (at least 1).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    warm_gt, warm_dets = _first_images(gt, detections, count=5)
    for backend in BACKENDS:  # untimed: imports, first-use costs
        coco_evaluate(warm_gt, warm_dets, iou_type=iou_type, backend=backend)
    results: dict[str, dict] = {}
    times: dict[str, list[float]] = {backend: [] for backend in BACKENDS}
    total = repeats * len(BACKENDS)
    bar = progress_bar(total=total, desc="COCO evaluation", unit="run", progress=progress)
    with bar:
        for round_index in range(repeats):
            for backend in BACKENDS if round_index % 2 == 0 else BACKENDS[::-1]:
                bar.set_postfix_str(backend)
                tic = time.perf_counter()
                results[backend] = coco_evaluate(gt, detections, iou_type=iou_type, backend=backend)
                times[backend].append(time.perf_counter() - tic)
                bar.update()
    seconds = {backend: statistics.median(values) for backend, values in times.items()}
    differences = result_differences(results["faster"], results["pycocotools"])
    return BackendComparison(seconds=seconds, results=results, differences=differences)


def _first_images(gt: dict, detections: list[dict], count: int) -> tuple[dict, list[dict]]:
    """The ground truth and detections of ``gt``'s first ``count`` images (the warm-up)."""
    images = gt["images"][:count]
    ids = {image["id"] for image in images}
    annotations = [ann for ann in gt["annotations"] if ann["image_id"] in ids]
    return (
        {**gt, "images": images, "annotations": annotations},
        [det for det in detections if det["image_id"] in ids],
    )


def format_backend_comparison(result: BackendComparison) -> list[str]:
    """Report lines: time and AP per backend (faster-coco-eval, then pycocotools), the speed-up
    of faster-coco-eval (pycocotools' seconds over its own; below 1 it is the slower one),
    the agreement."""
    lines = [
        f"{LIBRARY_NAMES[backend]:>16}: {result.seconds[backend]:8.2f} s   "
        f"AP={result.results[backend]['AP']:.6f}"
        for backend in BACKENDS
    ]
    speed_up = result.seconds["pycocotools"] / result.seconds["faster"]
    verdict = "faster" if speed_up >= 1 else "slower"
    lines.append(
        f"speed-up of faster-coco-eval over pycocotools: {speed_up:.2f}x "
        f"(faster-coco-eval is the {verdict} one here)"
    )
    worst = result.worst
    lines.append(
        f"numbers agree: {result.agree} (largest difference {result.differences[worst]:.3g} on "
        f"{worst}, over {len(result.differences)} numbers; tolerance {TOLERANCE:g})"
    )
    return lines
