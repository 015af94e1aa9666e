"""``tools/eval.py``, ``infer.py`` and ``check_data.py``: ``--set`` given several times keeps
every item.

argparse's default action stores the last ``--set`` only, so ``--set a=1 --set b=2`` would
silently run without ``a=1``; the tools extend the list instead, as ``tools/train.py`` does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tool_modules import load_tool

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "tool, argv",
    [
        ("eval.py", ["best.pt"]),
        ("infer.py", ["best.pt", "image.png"]),
    ],
)
def test_set_given_twice_keeps_every_item(tool, argv):
    args = load_tool(tool).parse_args(
        [*argv, "--set", "device=cpu", "--set", "eval.max_images=3", "seed=1"]
    )
    assert args.set == ["device=cpu", "eval.max_images=3", "seed=1"]


def test_check_data_set_given_twice_keeps_every_item(monkeypatch):
    argv = ["check_data.py", "configs/demo.yaml", "--set", "data.root=a", "--set", "seed=1"]
    monkeypatch.setattr(sys, "argv", argv)
    assert load_tool("check_data.py").parse_args().set == ["data.root=a", "seed=1"]
