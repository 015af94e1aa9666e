"""``tools/convert_torchvision.py``: a torchvision state-dict file in, a detseg checkpoint out.

The conversion itself is tested in tests/detection/test_faster_rcnn_parity.py.
"""

from __future__ import annotations

import torch
from torchvision.models import detection as tv_detection

from detseg.engine.checkpointing import load_checkpoint

ARCH = "fasterrcnn_mobilenet_v3_large_320_fpn"


def test_writes_a_checkpoint_with_the_given_class_names(tmp_path, run_tool):
    tv_model = tv_detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None, num_classes=3
    )
    torch.save({"model": tv_model.state_dict()}, tmp_path / "tv.pth")  # a training checkpoint
    names = tmp_path / "classes.txt"
    names.write_text("cat\ndog\n")
    out = tmp_path / "converted.pt"
    argv = [ARCH, tmp_path / "tv.pth", out, "--num-classes", "3", "--classes", names]
    result = run_tool("convert_torchvision.py", *argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {out} (faster_rcnn, 2 classes)"
    state = load_checkpoint(out)
    assert state["classes"] == ["cat", "dog"] and state["config"]["model"]["name"] == "faster_rcnn"
    assert state["meta"]["torchvision_checkpoint"] == str(tmp_path / "tv.pth")
    names.write_text("cat\n")
    result = run_tool("convert_torchvision.py", *argv)
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()[-1]
    assert message.endswith(
        f"--classes {names} has 1 class name(s), but {tmp_path / 'tv.pth'} has 2 foreground "
        "classes (its 3 class outputs include background, which is not named): give one name "
        "per foreground class, without background"
    )


def test_a_missing_classes_file_is_one_line_naming_the_flag(tmp_path, run_tool):
    missing = tmp_path / "nope.txt"
    result = run_tool(
        "convert_torchvision.py",
        "auto",
        tmp_path / "tv.pth",
        tmp_path / "o.pt",
        "--classes",
        missing,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"convert_torchvision: error: --classes {missing}: no such file; give a text file with "
        "one class name per line (or a yaml with 'names')"
    )
    result = run_tool(
        "convert_torchvision.py",
        "auto",
        tmp_path / "tv.pth",
        tmp_path / "o.pt",
        "--classes",
        tmp_path,
    )
    assert result.returncode == 2
    assert f"--classes {tmp_path}: is a folder" in result.stderr
