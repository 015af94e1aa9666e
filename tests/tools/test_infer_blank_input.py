"""tools/infer.py given a blank input (``""``, ``" "``: ``Path("")`` is the working folder)
reports it in one line and reads nothing for it, the other inputs still written."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from random_checkpoints import DETECTOR, write_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("infer_blank")
    return write_checkpoint(folder / "best.pt", "configs/demo.yaml", DETECTOR)


@pytest.mark.parametrize("blank", ["", " "])
def test_a_blank_input_is_one_error_line(checkpoint, tmp_path, run_tool, blank):
    photo = tmp_path / "a.png"
    assert cv2.imwrite(str(photo), np.full((48, 64, 3), 90, np.uint8))
    out = tmp_path / "out"
    result = run_tool("infer.py", checkpoint, blank, photo, "--out", out)
    assert result.returncode == 2, result.stderr
    expected = (
        f"infer: error: an empty path {blank!r}; give an image or video file, a folder or a "
        "glob pattern"
    )
    assert expected in result.stderr.splitlines(), result.stderr
    assert (out / "a.png").is_file()
