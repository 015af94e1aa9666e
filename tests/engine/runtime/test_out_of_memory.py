"""A training run that runs out of memory ends with one line naming the config's sizes to
lower, not the allocator's traceback from inside a layer."""

from pathlib import Path

import pytest
import torch
from tool_in_process import run_tool_here

from detseg.config import ConfigError, load_config
from detseg.engine.runtime.out_of_memory import out_of_memory_error

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
DEMO = CONFIGS / "demo.yaml"
CPU_ALLOCATOR = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
    "you tried to allocate 1728000000000 bytes. Error code 12 (Cannot allocate memory)"
)
CUDA_ALLOCATOR = (
    "CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total capacity of 79.19 GiB"
)


@pytest.mark.parametrize(
    ("error", "device", "asked"),
    [
        (RuntimeError(CPU_ALLOCATOR), "cpu", " (asked for 1,609.3 GiB)"),
        (torch.OutOfMemoryError(CUDA_ALLOCATOR), "cuda", " (asked for 20.00 GiB)"),
        (MemoryError(), "cpu", ""),
    ],
)
def test_an_allocator_failure_names_the_sizes(error, device, asked) -> None:
    cfg = load_config(DEMO, ["model.width_mult=0.25"])
    found = out_of_memory_error(error, cfg, torch.device(device))
    assert isinstance(found, ConfigError)
    assert str(found).startswith(
        f"out of memory on {device}{asked}: the model or a batch of images does not fit; lower "
        "one of train.batch_size (4), model.min_size (256), model.max_size (256), "
        "model.width_mult (0.25)"
    )
    assert "train.amp" not in str(found)  # off CUDA, or on with amp auto (the default)


@pytest.mark.parametrize(
    ("config", "overrides", "sizes"),
    [
        ("yolo/yolov3_shapes.yaml", [], "model.input_size (256), model.width_mult (0.5)"),
        ("ssd/ssdlite320_shapes.yaml", [], "model.size (320)"),
        ("segmentation/unet_shapes.yaml", [], "the image size (a resize or crop in "),
    ],
)
def test_each_family_names_its_own_sizes(config, overrides, sizes) -> None:
    cfg = load_config(CONFIGS / config, overrides)
    found = out_of_memory_error(RuntimeError(CPU_ALLOCATOR), cfg, torch.device("cpu"))
    assert sizes in str(found)


@pytest.mark.parametrize(("amp", "hinted"), [("none", True), ("bf16", False), ("auto", False)])
def test_amp_is_suggested_on_cuda_only_where_it_is_off(amp, hinted) -> None:
    cfg = load_config(DEMO, [f"train.amp={amp}"])
    error = torch.OutOfMemoryError(CUDA_ALLOCATOR)
    found = out_of_memory_error(error, cfg, torch.device("cuda"))
    assert ("set train.amp=auto to halve the activations" in str(found)) == hinted


def test_another_device_out_of_memory_error_is_known() -> None:
    cfg = load_config(DEMO)
    error = torch.OutOfMemoryError("MPS backend out of memory (MPS allocated: 1.2 GB)")
    assert out_of_memory_error(error, cfg, torch.device("cpu")) is not None


def test_another_error_is_left_alone() -> None:
    cfg = load_config(DEMO)
    assert out_of_memory_error(RuntimeError("shape mismatch"), cfg, torch.device("cpu")) is None


def test_train_tool_says_one_line(tmp_path, monkeypatch, capsys) -> None:
    from tiny_detector import tiny_faster_rcnn

    from detseg.data.shapes import generate_shapes

    def too_large(*args, **kwargs):
        raise RuntimeError(CPU_ALLOCATOR)

    monkeypatch.setattr("detseg.engine.training.trainer.build_run_model", too_large)
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=2, num_val=1, num_test=0, size=64, seed=0)
    overrides = [*tiny_faster_rcnn(), f"data.root={root}", "device=cpu", "train.max_iters=1"]
    overrides += ["train.num_workers=0", "train.tensorboard=false"]
    code = run_tool_here("train.py", DEMO, "--work-dir", tmp_path / "run", "--set", *overrides)
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[-1].startswith("train: error: out of memory on cpu (asked for 1,609.3")
    assert "Traceback" not in err
