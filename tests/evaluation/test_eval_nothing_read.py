"""``tools/eval.py`` on a val split none of whose images can be read: one error line, exit
code 2, no report (it wrote AP 0 or mIoU nan "on 2 images" before). Some unreadable images
among readable ones are still skipped with a warning and the rest scored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from random_checkpoints import write_checkpoint
from tiny_detector import tiny_faster_rcnn
from tool_in_process import run_tool_here

from detseg.data.shapes import generate_shapes

SEGMENTER = ["model.base_channels=8", "model.depth=2", "eval.crf.iterations=0", "eval.tta=none"]
CONFIGS = {
    "detector": ("configs/demo.yaml", tiny_faster_rcnn(64)),
    "segmenter": ("configs/segmentation/unet_shapes.yaml", SEGMENTER),
}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=1, num_val=2, size=64, seed=0)
    return root


def checkpoint(kind: str, root: Path, tmp_path: Path) -> Path:
    config, options = CONFIGS[kind]
    return write_checkpoint(
        tmp_path / f"{kind}.pt", config, [*options, f"data.root={root}", "device=cpu"]
    )


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_no_readable_val_image_is_one_error_line(kind, shapes, tmp_path, capsys):
    broken = tmp_path / "copy"
    shutil.copytree(shapes, broken)
    for image in (broken / "val" / "images").iterdir():
        image.write_bytes(b"")
    out = tmp_path / "eval"
    code = run_tool_here("eval.py", checkpoint(kind, broken, tmp_path), "--out", out)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("eval: error: none of the 2 images of ")
    assert err[-1].endswith(
        "could be read (the warnings above name each file): nothing to "
        "score; replace or remove the broken files (detseg-check-data, tools/check_data.py, "
        "lists them)"
    )
    assert not any("Traceback" in line for line in err)
    assert not out.exists()


def test_one_unreadable_image_among_readable_ones_is_skipped(shapes, tmp_path, caplog):
    broken = tmp_path / "copy"
    shutil.copytree(shapes, broken)
    sorted((broken / "val" / "images").iterdir())[0].write_bytes(b"")
    out = tmp_path / "eval"
    assert run_tool_here("eval.py", checkpoint("segmenter", broken, tmp_path), "--out", out) == 0
    assert json.loads((out / "metrics.json").read_text())["info"]["images"] == 1
    assert "skipping unreadable image (index 0)" in caplog.text
