"""The two COCO evaluation backends side by side: time each, check that they agree.

``detseg.evaluation.coco_evaluate`` runs either faster-coco-eval (``"faster"``) or pycocotools
(the reference). Both must give the same numbers: the 12 COCO metrics and the per-class ones,
within :data:`TOLERANCE`.
"""

from __future__ import annotations

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
        seconds: ``{"faster" | "pycocotools": seconds}`` of one ``coco_evaluate`` call each.
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
    gt: dict, detections: list[dict], iou_type: str = "bbox", progress: bool | None = None
) -> BackendComparison:
    """Evaluate ``detections`` against ``gt`` with each backend; time and compare them.

    Args:
        gt: COCO dataset dict (``images``, ``annotations``, ``categories``).
        detections: COCO results (``image_id``, ``category_id``, ``score``, ``bbox`` xywh,
            and ``segmentation`` for ``"segm"``).
        iou_type: ``"bbox"`` or ``"segm"``.
        progress: A tqdm bar on stderr over the backends, naming the one that runs (drawn
            outside the timed calls): ``None`` shows it only when stderr is a terminal,
            ``True`` always, ``False`` never.
    """
    results, seconds = {}, {}
    bar = progress_bar(total=len(BACKENDS), desc="COCO evaluation", unit="run", progress=progress)
    with bar:
        for backend in BACKENDS:
            bar.set_postfix_str(backend)
            tic = time.perf_counter()
            results[backend] = coco_evaluate(gt, detections, iou_type=iou_type, backend=backend)
            seconds[backend] = time.perf_counter() - tic
            bar.update()
    differences = result_differences(results["faster"], results["pycocotools"])
    return BackendComparison(seconds=seconds, results=results, differences=differences)


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
