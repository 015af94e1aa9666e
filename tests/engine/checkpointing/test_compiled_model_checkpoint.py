"""A model trained in the user's own code under ``torch.compile`` (or DDP) names its tensors
``_orig_mod.<name>`` (``module.<name>``): ``model_checkpoint`` stores the bare names, and the
tools' loader (``load_model``, ``detseg.load``, eval, export) reads a checkpoint whose weights
were saved with such a prefix."""

from __future__ import annotations

import torch
from torch import nn

import detseg
from detseg.engine.checkpointing import load_model, model_checkpoint, save_checkpoint
from detseg.models import build_model

CLASSES = ["circle", "square"]
SECTION = {"name": "unet", "depth": 2, "base_channels": 4}


def _model() -> nn.Module:
    torch.manual_seed(0)
    return build_model(SECTION, len(CLASSES))


def test_a_compiled_model_gives_a_checkpoint_with_bare_names(tmp_path):
    model = _model()
    compiled = torch.compile(model, backend="eager")  # a wrapper: nothing compiles until called
    assert all(key.startswith("_orig_mod.") for key in compiled.state_dict())
    state = model_checkpoint(compiled, {"model": SECTION}, CLASSES)
    assert list(state["model"]) == list(model.state_dict())
    save_checkpoint(tmp_path / "mine.pt", state)
    loaded, _, classes = load_model(tmp_path / "mine.pt", "cpu")
    assert classes == CLASSES
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


def test_weights_saved_with_a_wrapper_prefix_load(tmp_path):
    model = _model()
    state = model_checkpoint(model, {"model": SECTION}, CLASSES)
    state["model"] = {f"module._orig_mod.{k}": v for k, v in state["model"].items()}
    save_checkpoint(tmp_path / "wrapped.pt", state)
    loaded, _, _ = load_model(tmp_path / "wrapped.pt", "cpu")
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    assert detseg.load(tmp_path / "wrapped.pt", device="cpu") is not None
