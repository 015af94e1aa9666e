"""The target table: every ``benchmark.py model`` run whose ratio has a target, as data.

``tools/benchmark.py suite --device cuda`` runs :data:`GPU_ROWS` (``--device cpu``:
:data:`CPU_ROWS`, small sizes, the settings of docs/benchmarks.md "Model speed on the CPU") in
one process (:mod:`detseg.benchmark.suite_runner`), each row exactly as ``benchmark.py model``
plus the row's flags would, and reports them (:mod:`detseg.benchmark.suite_report`). Ratios
are detseg / torchvision images/s; a target is met when the ratio reaches it.

The profiled row (Faster R-CNN bf16 on the GPU) also counts kernel launches and host-device
syncs per call (:mod:`detseg.benchmark.profiling`), held to :data:`SYNC_TARGET` syncs per
detseg training step and :data:`LAUNCH_FACTOR` x fewer launches than torchvision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from detseg.benchmark.comparison import ModelComparison
    from detseg.benchmark.suite_environment import SuiteEnvironment

# The table is plain data that ``tools/benchmark.py`` shows in its --help without importing
# torch: the two functions below that need torch (or the benchmarks) import it when called.

SYNC_TARGET = 10  # host-device syncs per detseg training step, at most
LAUNCH_FACTOR = 2.0  # torchvision's kernel launches per call over detseg's, at least


@dataclass(frozen=True)
class SuiteRow:
    """One row of the target table: a ``benchmark.py model`` run and its targets.

    Attributes:
        name: short name for ``--only`` (e.g. ``"fasterrcnn_bf16"``).
        title: the model as the table names it (``"Faster R-CNN R50-FPN"``).
        arch: torchvision builder name (a twin of :mod:`detseg.benchmark.twins`).
        size, batch: square image side in pixels and images per call.
        amp: ``"bf16"``, ``"fp16"`` or ``"none"`` (float32).
        channels_last: both models in ``torch.channels_last``.
        compile_mode: ``torch.compile`` of both models (:mod:`detseg.benchmark.compilation`).
        threads: torch CPU threads for this row (0: the process default).
        repeats: timed calls (median reported), unless the suite overrides them.
        train_target, infer_target: the detseg / torchvision ratio to reach, or ``None``.
        profile: also count kernel launches and host syncs per call (CUDA only).
    """

    name: str
    title: str
    arch: str
    size: int
    batch: int
    amp: str = "bf16"
    channels_last: bool = False
    compile_mode: str = "none"
    threads: int = 0
    repeats: int = 5
    train_target: float | None = None
    infer_target: float | None = None
    profile: bool = False

    def flags(self, repeats: int | None = None) -> str:
        """The ``benchmark.py model`` arguments of this row (without ``--device``)."""
        parts = [self.arch, f"--size {self.size}", f"--batch {self.batch}", f"--amp {self.amp}"]
        if self.channels_last:
            parts.append("--channels-last")
        if self.compile_mode != "none":
            parts.append(f"--compile {self.compile_mode}")
        if self.threads:
            parts.append(f"--threads {self.threads}")
        parts.append(f"--repeats {repeats or self.repeats}")
        if self.profile:
            parts.append("--profile")
        return " ".join(parts)


_FRCNN, _R50 = "Faster R-CNN R50-FPN", "fasterrcnn_resnet50_fpn"
# the GPU targets (train / infer ratio); the first row is also profiled
GPU_ROWS: tuple[SuiteRow, ...] = (
    SuiteRow("fasterrcnn_bf16", _FRCNN, _R50, 800, 8, train_target=1.5, infer_target=2.0,
             profile=True),
    SuiteRow("fasterrcnn_fp32", _FRCNN, _R50, 800, 8, amp="none", train_target=1.5,
             infer_target=2.0),
    SuiteRow("fasterrcnn_bf16_cl", _FRCNN, _R50, 800, 8, channels_last=True, train_target=1.5,
             infer_target=2.0),
    SuiteRow("retinanet_bf16", "RetinaNet R50-FPN", "retinanet_resnet50_fpn", 800, 8,
             train_target=1.5, infer_target=1.5),
    SuiteRow("ssd300_bf16", "SSD300 VGG16", "ssd300_vgg16", 300, 32, train_target=1.3,
             infer_target=3.0),
    SuiteRow("ssdlite_bf16", "SSDlite320 MobileNetV3", "ssdlite320_mobilenet_v3_large", 320, 32,
             train_target=1.3, infer_target=3.0),
    SuiteRow("deeplabv3_bf16", "DeepLabV3 R50", "deeplabv3_resnet50", 520, 16, train_target=1.3,
             infer_target=1.3),
    SuiteRow("fcn_bf16", "FCN R50", "fcn_resnet50", 520, 16, train_target=1.3, infer_target=1.3),
    SuiteRow("maskrcnn_bf16", "Mask R-CNN R50-FPN", "maskrcnn_resnet50_fpn", 800, 8,
             train_target=1.0, infer_target=1.0),
)  # fmt: skip
# docs/benchmarks.md "Model speed on the CPU": float32; the ratios are reported, and Mask R-CNN
# has the target of its GPU row (at least as fast as torchvision)
CPU_ROWS: tuple[SuiteRow, ...] = (
    SuiteRow("lraspp", "LR-ASPP MobileNetV3", "lraspp_mobilenet_v3_large", 256, 2, amp="none",
             threads=1),
    SuiteRow("deeplabv3_mbv3", "DeepLabV3 MobileNetV3", "deeplabv3_mobilenet_v3_large", 256, 2,
             amp="none", threads=1),
    SuiteRow("fcn", "FCN R50", "fcn_resnet50", 256, 1, amp="none", threads=1),
    SuiteRow("fasterrcnn_mbv3", "Faster R-CNN MobileNetV3-320",
             "fasterrcnn_mobilenet_v3_large_320_fpn", 320, 4, amp="none", repeats=7),
    SuiteRow("maskrcnn", "Mask R-CNN R50-FPN", "maskrcnn_resnet50_fpn", 320, 2, amp="none",
             train_target=1.0, infer_target=1.0),
)  # fmt: skip


def suite_rows(device: str) -> tuple[SuiteRow, ...]:
    """The target table of a device: :data:`GPU_ROWS` for CUDA, else :data:`CPU_ROWS`."""
    import torch

    return GPU_ROWS if torch.device(device).type == "cuda" else CPU_ROWS


def select_rows(rows: Sequence[SuiteRow], only: Sequence[str] = ()) -> tuple[SuiteRow, ...]:
    """The rows named in ``only`` (in table order), or all of them when ``only`` is empty.

    Raises:
        ValueError: a name that is not a row of ``rows`` (the message lists the names, and
            says which names are rows of the other device's table).
    """
    names = [row.name for row in rows]
    unknown = [name for name in only if name not in names]
    if unknown:
        raise ValueError(
            f"--only {' '.join(unknown)}: no such row in this device's table; "
            f"choose from {', '.join(names)}.{_other_table_hint(unknown)}"
        )
    return tuple(row for row in rows if not only or row.name in only)


def _other_table_hint(names: Sequence[str]) -> str:
    """`` "<name> is a row of the --device cuda table."`` for names of the other table."""
    hints = []
    for table, flag in ((GPU_ROWS, "--device cuda"), (CPU_ROWS, "--device cpu")):
        found = [name for name in names if name in {row.name for row in table}]
        if found:
            verb = "is a row" if len(found) == 1 else "are rows"
            hints.append(f" {' '.join(found)} {verb} of the {flag} table.")
    return "".join(hints)


def describe_rows(rows: Sequence[SuiteRow]) -> list[str]:
    """One line per row: its name, its ``benchmark.py model`` flags and its targets."""
    lines = []
    for row in rows:
        targets = "no target"
        if row.train_target is not None and row.infer_target is not None:
            targets = f"target {row.train_target:g}x / {row.infer_target:g}x"
        lines.append(f"  {row.name:<19} {row.flags()} ({targets})")
    return lines


@dataclass
class RowResult:
    """What one row gave.

    Attributes:
        row: the row.
        repeats: timed calls it ran with.
        seconds: wall time of the row (building, checks, timings, profile).
        comparison: the measurement, or ``None`` when the row failed.
        error: ``"<ExceptionType>: <first line>"`` when it failed, else ``None``.
        peak_memory_gib: the largest CUDA memory allocated during the row (``None`` off CUDA).
        environment: where and when the row was measured, for a row kept from an earlier run
            (``suite --only`` reruns other rows); ``None``: measured by the run that reports it.
    """

    row: SuiteRow
    repeats: int
    seconds: float
    comparison: ModelComparison | None
    error: str | None
    peak_memory_gib: float | None = None
    environment: SuiteEnvironment | None = None

    @property
    def met(self) -> dict[str, bool | None]:
        """``{"train" | "infer": ratio >= target}``; ``None`` where there is no target.

        A failed row, or a segmenter whose outputs differ from torchvision's, meets nothing.
        """
        from detseg.benchmark.model_vs_torchvision import outputs_agree

        result = self.comparison
        targets = {"train": self.row.train_target, "infer": self.row.infer_target}
        if result is None or not outputs_agree(result):
            return {kind: None if target is None else False for kind, target in targets.items()}
        ratios = {"train": result.train_ratio, "infer": result.infer_ratio}
        return {
            kind: None if target is None else ratios[kind] >= target
            for kind, target in targets.items()
        }
