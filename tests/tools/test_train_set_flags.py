"""``tools/train.py --set``: given several times, and given before CONFIG.

``--set`` takes every word up to the next flag: ``--set a=1 --set b=2`` must keep both (a second
``--set`` once replaced the first, silently dropping its overrides), and a CONFIG written after
``--set`` is taken as an override, which argparse alone reports as a missing CONFIG.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_modules import load_tool

REPO = Path(__file__).resolve().parents[2]


def test_set_given_twice_keeps_every_override():
    args = load_tool("train.py").parse_args(
        ["configs/demo.yaml", "--set", "train.epochs=1", "--set", "device=cpu", "seed=3"]
    )
    assert args.set == ["train.epochs=1", "device=cpu", "seed=3"]


def test_profile_adds_to_every_set():
    args = load_tool("train.py").parse_args(
        ["configs/demo.yaml", "--set", "train.epochs=1", "--profile", "2", "--set", "seed=3"]
    )
    assert args.set == ["train.epochs=1", "seed=3", "train.profile_steps=2"]


def test_a_config_after_set_is_named(capsys):
    with pytest.raises(SystemExit) as stop:
        load_tool("train.py").parse_args(["--set", "train.epochs=1", "configs/demo.yaml"])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "'configs/demo.yaml' was read as a --set item" in error
    assert "put CONFIG before --set" in error


def test_a_missing_config_is_still_reported_as_missing(capsys):
    with pytest.raises(SystemExit):
        load_tool("train.py").parse_args(["--set", "train.epochs=1"])
    assert "required: config" in capsys.readouterr().err


def test_an_override_after_another_flag_says_to_write_set_there(capsys):
    argv = ["configs/demo.yaml", "--set", "seed=3", "--work-dir", "runs/x", "train.lr=0.1"]
    with pytest.raises(SystemExit) as stop:
        load_tool("train.py").parse_args(argv)
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("train: error: unrecognized arguments: train.lr=0.1")
    assert "write --set before it: --set train.lr=0.1" in error


@pytest.mark.parametrize("word", ["extra", "--lr=0.1"])
def test_an_unrecognized_word_or_flag_gets_no_set_advice(capsys, word):
    with pytest.raises(SystemExit):
        load_tool("train.py").parse_args(["configs/demo.yaml", "--work-dir", "runs/x", word])
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"unrecognized arguments: {word}" in error and "--set" not in error
