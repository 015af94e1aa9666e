"""The tools' path arguments expand a leading ``~``: a shell leaves ``--out=~/x`` (and a quoted
``"~/x"``) as it is, and argparse alone would make a folder named ``~`` in the current one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tool_modules import load_tool

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "tool, argv, expanded",
    [
        ("eval.py", ["~/best.pt", "--out=~/eval"], ("checkpoint", "out")),
        ("export.py", ["~/best.pt", "--out=~/model.onnx"], ("checkpoint", "out")),
        (
            "convert_dataset.py",
            ["~/src", "~/dst", "--from", "coco", "--to", "yolo"],
            ("src", "dst"),
        ),
        ("check_data.py", ["~/data.yaml", "--out=~/report"], ("source", "out")),
        ("make_shapes.py", ["--out=~/shapes"], ("out",)),
        ("anchors.py", ["~/instances_train.json"], ("source",)),
        (
            "convert_torchvision.py",
            ["fasterrcnn_resnet50_fpn", "~/a.pth", "~/a.pt"],
            ("checkpoint", "out"),
        ),
    ],
)
def test_home_folder_is_expanded(monkeypatch, tmp_path, tool, argv, expanded):
    monkeypatch.setenv("HOME", str(tmp_path))
    module = load_tool(tool)
    if tool == "eval.py":
        args = module.parse_args(argv)
    else:
        monkeypatch.setattr(sys, "argv", [tool, *argv])
        args = module.parse_args()
    for name in expanded:
        value = getattr(args, name)
        assert Path(value).parts[: len(tmp_path.parts)] == tmp_path.parts, (name, value)
