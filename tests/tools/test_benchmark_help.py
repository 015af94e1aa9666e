"""Every ``tools/benchmark.py`` sub-command's ``--help`` says what it measures, not only its
flags."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import pytest


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    path = Path(__file__).resolve().parents[2] / "tools" / "benchmark.py"
    spec = importlib.util.spec_from_file_location("tool_benchmark_help", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    parser = module.build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("eval", "faster-coco-eval, pycocotools"),
        ("postprocess", "softmax, box decoding, per-class top-k, NMS"),
        ("model", "Training-step and inference images/s"),
        ("suite", "Run every row of the target table"),
    ],
)
def test_each_sub_command_has_a_description(command, words):
    sub = _subparsers()[command]
    assert sub.description and words in " ".join(sub.description.split())
    assert words.split()[0] in sub.format_help()
