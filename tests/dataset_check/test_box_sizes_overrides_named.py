"""``overrides`` with a COCO json, which has no config keys, are refused naming them as the
caller gave them: ``overrides=[...]`` of ``training_box_sizes`` from Python, ``--set`` from
``tools/anchors.py`` (its ``run_command`` names them by ``TOOL_FLAGS``)."""

from __future__ import annotations

import json
import sys

import pytest
from tool_modules import load_tool

from detseg.command_line import run_command
from detseg.dataset_check.box_sizes import training_box_sizes

_REASON = "is a COCO json, which has no config keys; drop {}, or give an experiment config"


@pytest.fixture
def ann(tmp_path):
    path = tmp_path / "instances_{train}.json"  # a brace in a user's name stays as it is
    path.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    return path


def test_python_names_the_overrides_keyword(ann):
    with pytest.raises(ValueError) as caught:
        training_box_sizes(ann, 64, overrides=["data.root=x", "seed=1"])
    assert str(caught.value).startswith(
        f"overrides=['data.root=x', 'seed=1']: {ann} {_REASON.format('overrides')}"
    )


def test_the_anchors_tool_names_set(ann, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["anchors.py", str(ann), "--k", "3", "--set", "data.root=x"])
    with pytest.raises(SystemExit) as stop:
        run_command(load_tool("anchors.py").main, "anchors")
    assert stop.value.code == 2
    line = capsys.readouterr().err.splitlines()[-1]
    assert line.startswith(f"anchors: error: --set data.root=x: {ann} {_REASON.format('--set')}")
