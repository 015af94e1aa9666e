"""``model.compile`` applied in place: the backbone or the whole loss module, same state dict."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from detseg.engine.runtime import compiling
from detseg.engine.runtime.compiling import compile_for_training
from detseg.engine.runtime.distributed import LossForward


class Toy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
        self.head = nn.Conv2d(4, 1, 1)

    def losses(self, images, targets):
        return {"loss_a": self.head(self.backbone(images)).mean() ** 2}


@pytest.fixture(autouse=True)
def eager_backend(monkeypatch):
    monkeypatch.setattr(compiling, "COMPILE_BACKEND", "eager")
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def _compiled(module: nn.Module) -> bool:
    return module._compiled_call_impl is not None


@pytest.mark.parametrize("mode", ["none", "backbone", "all"])
def test_compiling_keeps_the_state_dict_and_the_losses(mode):
    torch.manual_seed(0)
    model = Toy()
    keys = list(model.state_dict())
    images = torch.rand(2, 3, 8, 8)
    expected = model.losses(images, None)["loss_a"]
    wrapped = LossForward(model)
    compile_for_training(model, wrapped, mode)
    assert _compiled(model.backbone) == (mode == "backbone")
    assert _compiled(wrapped) == (mode == "all")
    assert not _compiled(model.head)
    assert list(model.state_dict()) == keys
    assert torch.equal(wrapped(images, None)["loss_a"], expected)


def test_a_model_without_a_backbone_or_an_unknown_mode_is_an_error():
    plain = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="model.compile: backbone needs a model with a"):
        compile_for_training(plain, LossForward(plain), "backbone")
    with pytest.raises(ValueError, match="model.compile must be none, backbone or all"):
        compile_for_training(Toy(), LossForward(Toy()), "heads")
