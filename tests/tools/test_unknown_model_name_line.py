"""A checkpoint whose config names a model builder that detseg.models.MODELS lacks (a builder
of one's own, registered by a script the tools do not import): tools/infer.py, tools/eval.py
and tools/export.py each refuse it in the same one line, ``<tool>: error: <checkpoint>:
unknown model.name 'NAME'; ...`` (the config check), exit code 2, no traceback.

The checkpoint is a small detector with random weights whose stored ``model.name`` is then
changed to one no builder has.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from random_checkpoints import DETECTOR, write_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    path = write_checkpoint(
        tmp_path_factory.mktemp("unknown_model") / "best.pt", "configs/demo.yaml", DETECTOR
    )
    state = torch.load(path, weights_only=False)
    state["config"]["model"]["name"] = "my_net"
    torch.save(state, path)
    return path


@pytest.mark.parametrize("script", ["infer.py", "eval.py", "export.py"])
def test_every_tool_gives_the_same_line(run_tool, tmp_path, checkpoint, script):
    image = tmp_path / "a.png"
    Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(image)
    inputs = [image] if script == "infer.py" else []
    out = tmp_path / ("out.onnx" if script == "export.py" else "out")
    result = run_tool(script, checkpoint, *inputs, "--out", out)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    tool = script.removesuffix(".py")
    assert lines[-1].startswith(f"{tool}: error: {checkpoint}: unknown model.name 'my_net'"), lines
    assert "(known: faster_rcnn, " in lines[-1]
    # what to do from the command line, and no guide file named
    assert lines[-1].endswith("--nproc and torchrun workers, processes of their own, do not)")
    assert not out.exists()
