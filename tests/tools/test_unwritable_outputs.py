"""Outputs that cannot be written: one line naming the output as given and the flag to change.

Three unwritable paths that stop root as well as other users: a path under a regular file, a
name longer than the file system takes, and (where there is one) a new entry in ``/proc``.
``make_shapes.py`` writes into a hidden temporary folder first; its errors name ``--out``, never
that folder. infer, eval and export get the line from ``run_command`` without code of their
own. The tools run in this process (``runpy``), as in ``test_output_paths.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from random_checkpoints import write_checkpoint
from tool_in_process import run_tool_here

from detseg.data.shapes import generate_shapes

REPO = Path(__file__).resolve().parents[2]
SHAPES_ARGS = ["--num-train", "2", "--num-val", "1", "--num-test", "0", "--size", "64"]


@pytest.fixture
def tool(capsys):
    """``tool("make_shapes.py", *args)``: ``(exit code, stderr lines)`` of the tool run here."""

    def run(script: str, *args: object) -> tuple[int, list[str]]:
        code = run_tool_here(script, *args)
        return code, capsys.readouterr().err.splitlines()

    return run


def assert_cannot_write(code: int, lines: list[str], tool: str, out: Path, advice: str) -> None:
    assert code == 2, lines
    assert not any("Traceback" in line for line in lines), lines
    assert lines[-1].startswith(f"{tool}: error: cannot write {out}: "), lines
    kind = "file" if out.suffix else "folder"
    assert lines[-1].endswith(f"; choose a writable {kind} {advice}"), lines
    assert ".partial" not in lines[-1], lines


def too_long(folder: Path, length: int = 300) -> Path:
    """A path whose last name is longer than a file system takes (255 bytes)."""
    return folder / ("x" * length)


def proc_entry() -> Path:
    """A new entry in ``/proc``, which no one can make (skips where there is no ``/proc``)."""
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc file system")
    return Path("/proc/detseg_test_output")


@pytest.fixture
def checkpoint_file(tmp_path) -> Path:
    """A file standing for a checkpoint (the output is checked before it is read)."""
    path = tmp_path / "best.pt"
    path.write_bytes(b"trained weights")
    return path


def test_make_shapes_names_out_not_its_temporary_folder(tool, tmp_path):
    out = tmp_path / ("x" * 250)  # a name that fits, its hidden ".<name>.partial-<pid>" does not
    code, lines = tool("make_shapes.py", "--out", out, *SHAPES_ARGS)
    assert_cannot_write(code, lines, "make_shapes", out, "with --out")
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_make_shapes_in_proc(tool):
    out = proc_entry()
    code, lines = tool("make_shapes.py", "--out", out, *SHAPES_ARGS)
    assert_cannot_write(code, lines, "make_shapes", out, "with --out")


def test_make_shapes_under_a_file(tool, tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("keep me")
    code, lines = tool("make_shapes.py", "--out", blocker / "shapes", *SHAPES_ARGS)
    assert code == 2 and "Traceback" not in "".join(lines)
    assert lines[-1] == (
        f"make_shapes: error: the output folder {blocker / 'shapes'} cannot be made: {blocker} "
        "is a file; give a new folder"
    )
    assert blocker.read_text() == "keep me"


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("unwritable") / "shapes"
    generate_shapes(root, num_train=2, num_val=1, size=64, seed=0)
    return root


@pytest.mark.parametrize("where", ["too_long", "proc"])
def test_convert_dataset_names_dst_root(tool, tmp_path, shapes, where):
    dst = too_long(tmp_path) if where == "too_long" else proc_entry()
    code, lines = tool("convert_dataset.py", "--from", "coco", "--to", "yolo", shapes, dst)
    assert_cannot_write(code, lines, "convert_dataset", dst, "for DST_ROOT")


def test_check_data_refuses_an_out_under_a_file_before_the_scan(tool, tmp_path, shapes):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("")
    config = REPO / "configs" / "demo.yaml"
    code, lines = tool(
        "check_data.py", config, "--set", f"data.root={shapes}", "--out", blocker / "report"
    )
    assert code == 2 and lines == [
        f"check_data: error: --out {blocker / 'report'}: {blocker} is a file; give a folder"
    ]  # no progress bar: refused before any image was read


@pytest.mark.parametrize("script", ["infer.py", "eval.py", "export.py"])
def test_infer_eval_export_get_the_line_from_run_command(tool, tmp_path, checkpoint_file, script):
    out = too_long(tmp_path)
    inputs = [tmp_path / "image.png"] if script == "infer.py" else []
    code, lines = tool(script, checkpoint_file, *inputs, "--out", out)
    assert_cannot_write(code, lines, script.removesuffix(".py"), out, "with --out")


@pytest.fixture
def unet_checkpoint(tmp_path) -> Path:
    """A real checkpoint (a small U-Net, random weights): the tool gets as far as writing."""
    config = "configs/segmentation/unet_shapes.yaml"
    return write_checkpoint(tmp_path / "best.pt", config, ["model.depth=2"], classes=["a", "b"])


def test_infer_names_its_default_output_folder(tool, tmp_path, unet_checkpoint, monkeypatch):
    Image.new("RGB", (32, 32)).save(tmp_path / "image.png")
    monkeypatch.chdir(proc_entry().parent)  # runs/infer, the default --out, cannot be made here
    code, lines = tool("infer.py", unet_checkpoint, tmp_path / "image.png", "--device", "cpu")
    assert_cannot_write(code, lines, "infer", Path("runs/infer"), "with --out")


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
@pytest.mark.parametrize("where", ["under_a_file", "proc"])
def test_export_names_a_file_it_cannot_write(tool, tmp_path, unet_checkpoint, fmt, where):
    suffix = ".pt" if fmt == "torchscript" else ".onnx"
    if where == "proc":
        out = proc_entry().with_suffix(suffix)
    else:
        blocker = tmp_path / "a_file"
        blocker.write_text("not a folder")
        out = blocker / f"model{suffix}"
    code, lines = tool("export.py", unet_checkpoint, "--format", fmt, "--out", out, "--no-verify")
    assert_cannot_write(code, lines, "export", out, "with --out")
