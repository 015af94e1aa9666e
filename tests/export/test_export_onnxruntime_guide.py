"""docs/evaluation.md's onnxruntime example runs as written on a dynamic ONNX export of a
detector: the file alone (no detseg, no torch in the example) gives boxes, scores and labels
whose names the sidecar holds."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detseg.export import export_model

pytest.importorskip("onnxruntime")

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "evaluation.md"


def guide_example(imports: str) -> str:
    """The indented code block of the guide that starts with ``import json`` and has the line
    ``imports`` (``import onnxruntime as ort``, ``import torch``), dedented."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"\n\n((?:    import json\n)(?:(?:    .*)?\n)+)", text)
    [block] = [b for b in blocks if f"\n    {imports}\n" in b]
    return "\n".join(line[4:] for line in block.splitlines())


def onnxruntime_example() -> str:
    """The guide's onnxruntime example."""
    return guide_example("import onnxruntime as ort")


def test_the_guide_runs_an_exported_detector_with_onnxruntime(
    demo_checkpoint, tmp_path, monkeypatch, capsys
):
    example = onnxruntime_example()
    assert "detseg" not in example and "torch" not in example
    export_model(demo_checkpoint, tmp_path / "demo.onnx", dynamic=True)
    pixels = np.random.default_rng(0).integers(0, 256, (90, 120, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "photo.jpg")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(example, str(GUIDE), "exec"), namespace)
    boxes, labels = namespace["boxes"], namespace["labels"]
    assert boxes.shape[1:] == (4,) and len(labels) > 0  # score threshold 0: detections
    assert (boxes[:, 2] <= 120).all() and (boxes[:, 3] <= 90).all()
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(labels)
    assert printed[0].split()[0] in ("circle", "square", "triangle")


def test_the_guide_runs_a_torchscript_export(demo_checkpoint, tmp_path, monkeypatch, capsys):
    """The guide's TorchScript example (static file, random image of its input shape)."""
    example = guide_example("import torch")
    export_model(demo_checkpoint, tmp_path / "model.torchscript.pt", format="torchscript")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(example, str(GUIDE), "exec"), namespace)
    boxes, labels = namespace["boxes"], namespace["labels"]
    assert boxes.shape[1:] == (4,) and len(labels) > 0  # score threshold 0: detections
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(labels)
