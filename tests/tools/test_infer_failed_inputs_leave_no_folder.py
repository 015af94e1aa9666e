"""``tools/infer.py`` whose every input fails (a missing file, an empty image, a video that
cannot be opened) writes nothing, and leaves no empty ``--out`` folder behind (nor the folders
it made above it); an output folder that existed before, or one that holds outputs, stays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from random_checkpoints import DETECTOR, write_checkpoint
from tool_in_process import run_tool_here


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return write_checkpoint(
        tmp_path_factory.mktemp("no_folder") / "best.pt", "configs/demo.yaml", DETECTOR
    )


@pytest.mark.parametrize("bad", ["missing.png", "empty.png", "empty.mp4"])
def test_every_input_failed_leaves_no_output_folder(checkpoint, tmp_path, capsys, bad):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "empty.mp4").write_bytes(b"")
    out = tmp_path / "runs" / "infer"
    code = run_tool_here("infer.py", checkpoint, tmp_path / bad, "--out", out)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("infer: error: ")
    assert not (tmp_path / "runs").exists()


def test_an_existing_output_folder_stays(checkpoint, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    assert run_tool_here("infer.py", checkpoint, tmp_path / "missing.png", "--out", out) == 2
    assert out.is_dir()


def test_a_folder_with_outputs_stays(checkpoint, tmp_path, capsys):
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(image)
    out = tmp_path / "runs" / "infer"
    code = run_tool_here("infer.py", checkpoint, image, tmp_path / "missing.png", "--out", out)
    assert code == 2
    assert (out / "predictions.json").is_file() and (out / "a.png").is_file()
