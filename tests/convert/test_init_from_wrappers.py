"""``model.init_from`` of weights saved in a wrapper: a dict entry (``state_dict``, ``model``
of a ``last.pt`` that also holds EMA weights), the name prefixes of a DDP or compiled model, a
``~`` path."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torchvision.models import detection as tv_detection

from detseg.convert import convert_torchvision
from detseg.convert.init_weights import load_init_weights
from detseg.models import build_model

MODEL_CFG = {"name": "faster_rcnn_mobilenet_v3_large_320_fpn"}


@pytest.fixture(scope="module")
def trained():
    """A detseg model with weights of its own (5 classes), and its state dict."""
    torch.manual_seed(3)
    model = build_model(MODEL_CFG, num_classes=5)
    with torch.no_grad():
        for value in model.state_dict().values():
            if value.is_floating_point():
                value.add_(0.5)  # nothing a fresh model could hold
    return model.state_dict()


@pytest.fixture(scope="module")
def torchvision_state():
    """A torchvision COCO-shaped model's state dict and its conversion to detseg."""
    torch.manual_seed(0)
    tv_model = tv_detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None, num_classes=91
    )
    return tv_model.state_dict(), convert_torchvision(tv_model.eval())[0].state_dict()


def _fresh() -> torch.nn.Module:
    torch.manual_seed(1)
    return build_model(MODEL_CFG, num_classes=5)


def _assert_loaded(model: torch.nn.Module, expected: dict[str, torch.Tensor]) -> None:
    state = model.state_dict()
    for key, value in state.items():
        assert torch.equal(value, expected[key]), key


@pytest.mark.parametrize("prefix", ["module.", "_orig_mod.", "module._orig_mod."])
def test_wrapped_model_prefixes_are_removed(tmp_path, trained, prefix):
    path = tmp_path / "wrapped.pt"
    torch.save({f"{prefix}{key}": value for key, value in trained.items()}, path)
    model = _fresh()
    report = load_init_weights(model, str(path))
    assert report.origin == "detseg state dict"
    assert len(report.loaded) == len(trained) and not report.ignored
    _assert_loaded(model, trained)


def test_ddp_saved_torchvision_file_converts(tmp_path, torchvision_state):
    tv_state, converted = torchvision_state
    path = tmp_path / "ddp_tv.pth"
    torch.save({"model": {f"module.{k}": v for k, v in tv_state.items()}, "epoch": 3}, path)
    model = build_model(MODEL_CFG, num_classes=90)  # torchvision's 91 with background
    report = load_init_weights(model, str(path))
    assert report.origin.startswith("torchvision fasterrcnn_mobilenet_v3_large")
    assert not report.reinitialised and not report.ignored
    _assert_loaded(model, converted)


@pytest.mark.parametrize("entry", ["state_dict", "model"])
def test_state_dict_entry_is_unwrapped(tmp_path, trained, entry):
    path = tmp_path / "wrapped.pt"
    torch.save({entry: trained, "epoch": 7, "optimizer": {"state": {}}}, path)
    model = _fresh()
    report = load_init_weights(model, str(path))
    assert len(report.loaded) == len(trained)
    _assert_loaded(model, trained)


def test_last_checkpoint_with_ema_gives_the_weights_load_and_eval_use(tmp_path, trained):
    averaged = {k: v + 1 if v.is_floating_point() else v for k, v in trained.items()}
    path = tmp_path / "last.pt"
    checkpoint = {"model": trained, "config": {"model": MODEL_CFG}, "classes": list("abcde")}
    checkpoint |= {"meta": {}, "ema": {"model": averaged, "updates": 10}}
    torch.save(checkpoint, path)
    model = _fresh()
    assert load_init_weights(model, str(path)).origin == "detseg state dict"
    _assert_loaded(model, trained)  # the "model" entry; the EMA copy is for --resume


def test_home_relative_path(tmp_path, trained, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    torch.save(trained, tmp_path / "weights.pt")
    model = _fresh()
    load_init_weights(model, str(Path("~") / "weights.pt"))
    _assert_loaded(model, trained)
