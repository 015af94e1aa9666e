"""``stub_export_result(...)``: an :class:`~detseg.export.ExportResult` of a static ONNX export
of a one-class Faster R-CNN whose model is ``nn.Identity``, for the tests of what reads an
export's record (the check's images, the report's lines) without exporting anything."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from detseg.export import ExportResult


def stub_export_result(
    path: Path = Path("f.onnx"),
    input_size: tuple[int, int] = (96, 96),
    score_thresh: float | None = 0.5,
) -> ExportResult:
    """The record of ``path`` (opset 18, input ``input_size``, batch 1, class ``a``, score
    threshold ``score_thresh``); no file is written."""
    return ExportResult(
        path=path,
        sidecar=Path(f"{path}.json"),
        format="onnx",
        opset=18,
        model_name="faster_rcnn",
        task="detection",
        input_size=input_size,
        batch_size=1,
        dynamic=False,
        classes=("a",),
        score_thresh=score_thresh,
        model=nn.Identity(),
    )
