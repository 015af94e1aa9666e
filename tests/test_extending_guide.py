"""docs/extending.md runs as written.

Its Python blocks run in order in one namespace, and its shell commands (``python tools/...``,
each script run as ``__main__`` in this process) after them, in a temporary folder that stands
in for the repository root (the guide writes ``datasets/tiny_shapes/`` and ``runs/`` there).
``detseg.models.MODELS``, which the guide extends, is restored afterwards.
"""

from __future__ import annotations

import math
import re
import runpy
import shlex
import sys
from pathlib import Path

import pytest
import torch

from detseg.models import MODELS

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "extending.md"


def fenced_blocks(language: str) -> list[str]:
    """The fenced code blocks of ``language`` in the guide, in order."""
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def shell_commands() -> list[list[str]]:
    """The guide's ``python tools/X.py ...`` commands as argument lists (continuations
    joined)."""
    commands = []
    for block in fenced_blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip():
                commands.append(shlex.split(line))
    return commands


@pytest.fixture
def guide_run(tmp_path, monkeypatch):
    """The namespace left by the guide's Python blocks, run in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    models = dict(MODELS)
    namespace: dict = {"__name__": "extending_guide"}
    try:
        for index, block in enumerate(fenced_blocks("python")):
            exec(compile(block, f"docs/extending.md python block {index}", "exec"), namespace)
        yield tmp_path, namespace
    finally:
        MODELS.clear()
        MODELS.update(models)


def test_the_guide_has_its_blocks():
    assert len(fenced_blocks("python")) >= 9
    commands = shell_commands()
    assert [command[:2] for command in commands] == [
        ["python", "tools/infer.py"],
        ["python", "tools/eval.py"],
    ]


def test_the_guide_runs_as_written(guide_run, monkeypatch, capsys):
    folder, namespace = guide_run
    # training from parts, evaluation, own loop
    assert namespace["stats"].iterations == 3
    assert all(math.isfinite(value) for value in namespace["stats"].losses.values())
    assert 0.0 <= namespace["metrics"]["AP"] <= 1.0
    assert set(namespace["found"]) == {"boxes", "scores", "labels"}
    assert namespace["segmenter"].task == "segmentation"
    # the custom loss replaced the box term, and only it
    batch = namespace["batch"]
    with torch.no_grad():
        plain = namespace["base"].losses(batch.images, batch.targets)
        diou = namespace["diou"].losses(batch.images, batch.targets)
    assert torch.isfinite(diou["loss_box"]) and not torch.equal(diou["loss_box"], plain["loss_box"])
    assert torch.equal(diou["loss_cls"], plain["loss_cls"])
    # the custom augmentation keeps boxes inside the image
    image, target = namespace["image"], namespace["target"]
    assert target["boxes"].shape[1] == 4
    assert float(target["boxes"][:, 2].max()) <= image.shape[-1]
    # checkpoints
    assert namespace["result"].boxes.shape[1:] == (4,)
    assert namespace["run"].exit_code == 0
    assert (folder / "runs" / "tiny" / "best.pt").is_file()
    assert namespace["tiny"].model.__class__.__name__ == "FasterRCNN"
    # the shell commands, on the checkpoint the guide wrote: each script run as __main__ in
    # this process, as `python` would run it
    for command in shell_commands():
        script = REPO / command[1]
        monkeypatch.setattr(sys, "argv", [str(script), *command[2:]])
        with pytest.raises(SystemExit) as done:
            runpy.run_path(str(script), run_name="__main__")
        assert done.value.code == 0, capsys.readouterr()
    assert (folder / "runs" / "mine_infer" / "predictions.json").is_file()
    assert (folder / "runs" / "mine_eval" / "metrics.json").is_file()
