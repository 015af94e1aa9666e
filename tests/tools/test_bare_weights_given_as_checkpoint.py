"""A file of bare weights (a torchvision state dict) given where a detseg checkpoint goes: one
line naming the file and saying to convert it with detseg-convert-torchvision, exit code 2.
Another dict that is not a checkpoint is told to give a file written by detseg-train."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

CONVERT = "convert it with detseg-convert-torchvision (tools/convert_torchvision.py) first"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("not_checkpoints")
    weights = {"backbone.conv.weight": torch.zeros(2, 3, 1, 1), "head.bias": torch.zeros(2)}
    paths = {
        "bare": folder / "model.pth",
        "under_model": folder / "train_state.pth",
        "other": folder / "notes.pt",
    }
    torch.save(weights, paths["bare"])
    torch.save({"model": weights, "epoch": 3}, paths["under_model"])
    torch.save({"epoch": 3}, paths["other"])
    return paths


@pytest.mark.parametrize(
    ("script", "kind", "advice"),
    [
        ("infer.py", "bare", CONVERT),
        ("export.py", "under_model", CONVERT),
        ("eval.py", "other", "give a best.pt / last.pt written by detseg-train (tools/train.py)"),
    ],
)
def test_the_line_says_what_to_do(run_tool, tmp_path, files, script, kind, advice):
    image = tmp_path / "a.png"
    image.write_bytes(b"")
    inputs = [image] if script == "infer.py" else []
    out = tmp_path / ("out.onnx" if script == "export.py" else "out")
    result = run_tool(script, files[kind], *inputs, "--out", out)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr
    tool = script.removesuffix(".py")
    assert lines[-1].startswith(f"{tool}: error: {files[kind]}: not a detseg checkpoint"), lines
    assert advice in lines[-1], lines
