"""The ``meta`` device holds shapes without data: a model moves there, and then the first
prediction fails deep in torch. It is refused where devices are resolved, in one line saying
what to use: ``detseg.load(..., device="meta")``, ``--device meta`` of the tools, ``device:
meta`` of a config (training and evaluation)."""

from __future__ import annotations

import pytest
from random_checkpoints import DETECTOR, write_checkpoint
from tool_in_process import run_tool_here

import detseg
from detseg.engine.runtime import resolve_device
from detseg.engine.runtime.distributed import init_distributed

REFUSED = (
    "device 'meta' asked for, but the meta device holds no data, nothing can run on it; "
    "use auto, cpu or cuda"
)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("meta_device")
    return write_checkpoint(folder / "best.pt", "configs/demo.yaml", DETECTOR)


def test_resolving_the_meta_device_is_refused():
    with pytest.raises(ValueError) as info:
        resolve_device("meta")
    assert str(info.value) == REFUSED


def test_a_config_device_of_meta_is_refused_at_the_start_of_a_run():
    with pytest.raises(ValueError, match="the meta device holds no data"):
        init_distributed("meta")


def test_loading_a_checkpoint_onto_the_meta_device_is_refused(checkpoint):
    with pytest.raises(ValueError) as info:
        detseg.load(checkpoint, device="meta")
    assert REFUSED in str(info.value)


def test_the_tools_refuse_it_in_one_line(checkpoint, tmp_path, capsys):
    image = tmp_path / "a.png"
    image.write_bytes(b"")  # never read: the device is refused first
    code = run_tool_here("infer.py", checkpoint, image, "--device", "meta", "--out", tmp_path)
    err = capsys.readouterr().err
    assert code == 2 and err.strip() == f"infer: error: {REFUSED}", err
    out = tmp_path / "eval"
    code = run_tool_here("eval.py", checkpoint, "--set", "device=meta", "--out", out)
    err = capsys.readouterr().err
    assert code == 2 and err.strip().endswith(f"eval: error: {REFUSED}"), err
