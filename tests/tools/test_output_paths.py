"""Bad outputs and score thresholds of the tools: one error line, exit code 2, nothing written.

An output that is the input (through a symbolic link too), a folder where a file is written, a
file where a folder is written, a non-empty dataset folder and a score threshold outside
[0, 1] are refused before any work, and the input file is left as it was. An error raised
after an evaluation ends the process (the data-loader workers do not keep it alive).

The refusals run the tools in this process (``runpy``, fast); the late error runs eval.py in a
subprocess with a timeout, as a user runs it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tiny_detector import tiny_faster_rcnn
from tool_in_process import run_tool_here

from detseg.config import load_config
from detseg.data.shapes import SHAPE_CLASSES, generate_shapes
from detseg.engine.checkpointing import save_checkpoint
from detseg.models import build_model

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tool(capsys):
    """``tool("export.py", *args)``: ``(exit code, stderr lines)`` of the tool run here."""

    def run(script: str, *args: object) -> tuple[int, list[str]]:
        code = run_tool_here(script, *args)
        return code, capsys.readouterr().err.splitlines()

    return run


def assert_one_error_line(code: int, lines: list[str], tool: str, *words: object) -> None:
    """Exit code 2, no traceback, the last stderr line ``tool: error: ...`` naming ``words``
    (after argparse's usage lines for a bad flag)."""
    assert code == 2, lines
    assert not any("Traceback" in line for line in lines), lines
    assert lines[-1].startswith(f"{tool}: error: "), lines
    for word in words:
        assert str(word) in lines[-1], lines


@pytest.fixture
def checkpoint_file(tmp_path) -> Path:
    """A file standing for a checkpoint (the refusals come before it is read)."""
    path = tmp_path / "best.pt"
    path.write_bytes(b"trained weights")
    return path


def test_export_refuses_to_overwrite_its_checkpoint(tool, checkpoint_file, tmp_path):
    link = tmp_path / "link.pt"
    link.symlink_to(checkpoint_file)
    for out in (checkpoint_file, link):
        code, lines = tool(
            "export.py", checkpoint_file, "--format", "torchscript", "--out", out, "--no-verify"
        )
        assert_one_error_line(code, lines, "export", out, "overwrite the input")
    assert checkpoint_file.read_bytes() == b"trained weights"


def test_export_refuses_a_folder_as_output(tool, checkpoint_file, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    code, lines = tool(
        "export.py", checkpoint_file, "--format", "torchscript", "--out", folder, "--no-verify"
    )
    assert_one_error_line(code, lines, "export", folder, "is a folder")
    assert not any(folder.iterdir())


def test_convert_torchvision_refuses_to_overwrite_its_source(tool, tmp_path):
    source = tmp_path / "tv.pth"
    source.write_bytes(b"torchvision weights")
    code, lines = tool("convert_torchvision.py", "auto", source, source)
    assert_one_error_line(code, lines, "convert_torchvision", source, "overwrite the input")
    assert source.read_bytes() == b"torchvision weights"


@pytest.mark.parametrize("script", ["infer.py", "eval.py"])
def test_a_file_given_as_output_folder_is_refused(tool, checkpoint_file, tmp_path, script):
    out = tmp_path / "out.txt"
    out.write_text("keep me")
    inputs = [tmp_path / "image.png"] if script == "infer.py" else []
    code, lines = tool(script, checkpoint_file, *inputs, "--out", out)
    assert_one_error_line(code, lines, script.removesuffix(".py"), out, "is a file")
    assert out.read_text() == "keep me"


@pytest.mark.parametrize("value", ["2", "nan", "-1"])
@pytest.mark.parametrize("script", ["infer.py", "export.py", "eval.py"])
def test_score_thresholds_outside_0_1_are_argument_errors(tool, checkpoint_file, script, value):
    inputs = ["image.png"] if script == "infer.py" else []
    code, lines = tool(script, checkpoint_file, *inputs, "--score-thr", value)
    expected = f"--score-thr must lie in [0, 1], got {float(value)}"
    assert_one_error_line(code, lines, script.removesuffix(".py"), expected)


def test_make_shapes_refuses_a_folder_with_files(tool, tmp_path):
    out = tmp_path / "shapes"
    args = ["--num-train", "2", "--num-val", "1", "--num-test", "0", "--size", "64"]
    assert tool("make_shapes.py", "--out", out, *args)[0] == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code, lines = tool("make_shapes.py", "--out", out, *args[:-1], "96")
    assert_one_error_line(code, lines, "make_shapes", out, "not empty")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shapes"]  # no partial folder left


LATE_ERROR = """
import runpy, sys
from detseg.evaluation import checkpoint_detection_eval
def fail(*args, **kwargs):
    raise RuntimeError("failed after the evaluation")
checkpoint_detection_eval.write_coco_report = fail
sys.argv = ["eval.py", *sys.argv[1:]]
runpy.run_path("tools/eval.py", run_name="__main__")
"""


def test_an_error_after_the_evaluation_ends_the_process(tmp_path):
    """The loader's workers (they ignore SIGTERM) are shut down, so the process can exit."""
    generate_shapes(tmp_path / "shapes", num_train=1, num_val=2, size=64, seed=0)
    overrides = [*tiny_faster_rcnn(64), f"data.root={tmp_path / 'shapes'}", "device=cpu"]
    cfg = load_config(REPO / "configs" / "demo.yaml", overrides)
    torch.manual_seed(0)
    model = build_model(cfg.model.to_dict(), num_classes=len(SHAPE_CLASSES))
    state = {"config": cfg.to_dict(), "classes": list(SHAPE_CLASSES), "meta": {"cat_ids": None}}
    save_checkpoint(tmp_path / "best.pt", {**state, "model": model.state_dict()})
    result = subprocess.run(
        [sys.executable, "-c", LATE_ERROR, str(tmp_path / "best.pt"), "--out", tmp_path / "ev"]
        + ["--set", "train.num_workers=1", "eval.batch_size=1"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)},
        timeout=120,  # before the fix: a hang, here a TimeoutExpired
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1] == "RuntimeError: failed after the evaluation"
